/** Which builds publish their context manifest, and how the metadata file is chosen (the registry side: test/integration/explain-registry.test.ts). */
import {existsSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {parseBuildArgv} from '../../src/buildx/argv.js'
import {
  cleanUp,
  imagePushed,
  outputPushes,
  publishPlan,
  pushedImage,
  registryCacheRefs,
  withMetadataFile,
} from '../../src/pipeline/publish.js'

const uses = (...argv: string[]) => parseBuildArgv([...argv, '.'], {}).uses

t.test('what pushes an image', async (t) => {
  t.equal(imagePushed(uses('--push', '-t', 'r/a')), true)
  t.equal(imagePushed(uses('--push=false', '-t', 'r/a')), false)
  t.equal(imagePushed(uses('--push', '--push=false')), false, 'the last --push wins')
  t.equal(imagePushed(uses('-o', 'type=registry,name=r/a')), true)
  t.equal(imagePushed(uses('--output=type=image,name=r/a,push=true')), true)
  t.equal(imagePushed(uses('--output', 'type=image,name=r/a')), false)
  t.equal(imagePushed(uses('--output', 'type=local,dest=out')), false)
  t.equal(imagePushed(uses('--load', '-t', 'r/a')), false)
  t.equal(outputPushes('type=image,"name=r/a,r/b",push=true'), true)
})

t.test('registry caches', async (t) => {
  t.same(registryCacheRefs(['type=registry,ref=r/cache:main,mode=max', 'type=local,dest=x', 'type=inline', 'type=registry']), [
    'r/cache:main',
  ])
})

t.test("the user's metadata file is only read; dbuild's own is added when none is given", async (t) => {
  const args = ['buildx', 'build', '--push', '.']
  const given = publishPlan(uses('--push', '--metadata-file', 'meta.json'), [], '/w')
  t.same(given, {metadataFile: path.resolve('/w', 'meta.json'), imagePushed: true, cacheRefs: []})
  t.same(withMetadataFile(args, given), args, 'no second --metadata-file')
  const own = publishPlan(uses('--push'), [], '/w')
  t.ok(own?.own && existsSync(own.own))
  t.same(withMetadataFile(args, own), ['buildx', 'build', '--metadata-file', own?.metadataFile, '--push', '.'])
  cleanUp(own)
  t.notOk(existsSync(own?.own as string), 'removed afterwards')
  t.same(
    publishPlan(uses('--load'), ['type=registry,ref=r/c'], '/w'),
    {imagePushed: false, cacheRefs: ['r/c']},
    'a cache alone needs no metadata',
  )
  t.equal(publishPlan(uses('--load'), [], '/w'), undefined, 'nothing pushed: nothing published')
})

t.test("buildx's metadata", async (t) => {
  t.same(pushedImage({'containerimage.digest': 'sha256:ab', 'image.name': 'r/a:1,r/b:2'}), {digest: 'sha256:ab', names: ['r/a:1', 'r/b:2']})
  t.equal(pushedImage({'containerimage.digest': 'sha256:ab'}), undefined)
})
