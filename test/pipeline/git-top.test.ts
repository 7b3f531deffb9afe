/** workTreeTop finds the same work tree top as `git rev-parse --show-toplevel`, without running git. */
import {mkdirSync, realpathSync, symlinkSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {gitRoot, workTreeTop} from '../../src/git.js'
import {gitRepo, sh, tempDir} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-gittop-')

t.test('the top of a checkout, a linked worktree and a plain directory', async (t) => {
  const repo = await gitRepo(path.join(root, 'repo'), {'app/sub/Dockerfile': 'FROM scratch\n'})
  const sub = path.join(repo, 'app/sub')
  t.equal(await workTreeTop(sub), repo)
  t.equal(realpathSync(repo), await gitRoot(sub), 'as git says')
  t.equal(await workTreeTop(repo), repo)

  const worktree = path.join(root, 'worktree')
  await sh(`git worktree add -q ${JSON.stringify(worktree)}`, {cwd: repo})
  t.equal(await workTreeTop(path.join(worktree, 'app')), worktree, 'a `.git` file counts too')
  t.equal(realpathSync(worktree), await gitRoot(path.join(worktree, 'app')))

  const plain = path.join(root, 'plain/dir')
  mkdirSync(plain, {recursive: true})
  t.equal(await workTreeTop(plain), undefined, 'outside any work tree')
  t.equal(await gitRoot(plain), undefined)
})

t.test("answers in the caller's spelling, so a walk up from a symlinked path stops there", async (t) => {
  const repo = await gitRepo(path.join(root, 'linked-repo'), {'a/Dockerfile': 'FROM scratch\n'})
  const link = path.join(root, 'link')
  symlinkSync(repo, link)
  t.equal(await workTreeTop(path.join(link, 'a')), link)
})

t.test('when GIT_DIR or GIT_WORK_TREE steer discovery, git itself is asked', async (t) => {
  const repo = await gitRepo(path.join(root, 'steered'), {'x/Dockerfile': 'FROM scratch\n'})
  const elsewhere = path.join(root, 'elsewhere')
  mkdirSync(elsewhere)
  const env = {...process.env, GIT_DIR: path.join(repo, '.git'), GIT_WORK_TREE: repo}
  const saved = {GIT_DIR: process.env.GIT_DIR, GIT_WORK_TREE: process.env.GIT_WORK_TREE}
  Object.assign(process.env, {GIT_DIR: env.GIT_DIR, GIT_WORK_TREE: env.GIT_WORK_TREE})
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  t.equal(await workTreeTop(elsewhere, env), realpathSync(repo), 'the work tree git was pointed at')
})
