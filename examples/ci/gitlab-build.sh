docker compose build
docker buildx build \
  --cache-from "type=registry,ref=$CI_REGISTRY_IMAGE:buildcache" \
  --cache-to "type=registry,ref=$CI_REGISTRY_IMAGE:buildcache,mode=max" \
  --tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" --push .
