dbuild_changed() {
  if git rev-parse -q --verify ORIG_HEAD >/dev/null; then
    git diff-tree -r -z --name-only --no-commit-id ORIG_HEAD HEAD
    git rev-list --no-merges HEAD ^ORIG_HEAD | git diff-tree --stdin -r -z --name-only --no-commit-id --root
  fi
}
