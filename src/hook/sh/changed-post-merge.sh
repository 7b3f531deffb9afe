dbuild_changed() {
  if git rev-parse -q --verify ORIG_HEAD >/dev/null; then
    git diff-index --cached -r -z --name-only ORIG_HEAD
  else
    dbuild_full
  fi
}
