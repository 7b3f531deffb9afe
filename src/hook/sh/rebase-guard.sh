# inside a rebase, git goes on with its index in memory: a chmod now would make it see local changes.
# post-rewrite covers what the rebase wrote, this checkout included.
if [ -d "$dbuild_git/rebase-merge" ] || [ -d "$dbuild_git/rebase-apply" ]; then exit 0; fi
