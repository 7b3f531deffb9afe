/**
 * The one canonical-mode policy. BuildKit's COPY/ADD checksum includes every file's and directory's mode
 * bits, so a context must carry the same modes under every umask:
 *   - directories 0755;
 *   - a file git records as 100755 → 0755, every other regular file → 0644;
 *   - setuid, setgid and sticky bits cleared.
 * Where git's index is not at hand (the stage walks any directory; the hook sees only what git just
 * wrote), "git records it as 100755" is read as "the owner may execute it": git writes a 100755 entry
 * with 0777 & ~umask and every other with 0666 & ~umask, and no sane umask takes the owner's x away.
 *
 * Every user of the policy asks here: the stage (stage/sync.ts), `dbuild normalize`, doctor's mode check,
 * and the git hook, whose `find` expression is generated from the same table (fixModesFind).
 */

/** What the policy distinguishes. */
export type ModeKind = 'dir' | 'executable' | 'file'

/** The mode each kind must have; the one table everything else reads. */
export const CANONICAL_MODES: Readonly<Record<ModeKind, number>> = {dir: 0o755, executable: 0o755, file: 0o644}

/** The bit that tells an executable file from a plain one when git's index is not consulted. */
export const OWNER_EXECUTE = 0o100

/** git's index mode of an executable file. */
const GIT_EXECUTABLE = '100755'

/** Canonical mode of a tracked regular file, from its index mode (`git ls-files -s`). */
export function modeFromIndex(indexMode: string): number {
  return CANONICAL_MODES[indexMode === GIT_EXECUTABLE ? 'executable' : 'file']
}

/** The kind of a directory or regular file judged by its mode on disk (the owner-execute rule). */
export function kindFromDisk(isDirectory: boolean, mode: number): ModeKind {
  if (isDirectory) return 'dir'
  return mode & OWNER_EXECUTE ? 'executable' : 'file'
}

/** Canonical mode of a directory or regular file judged by its mode on disk (the owner-execute rule). */
export function modeFromDisk(isDirectory: boolean, mode: number): number {
  return CANONICAL_MODES[kindFromDisk(isDirectory, mode)]
}

/** Whether `mode` (any st_mode) already is `want`, special bits included. */
export function hasMode(mode: number, want: number): boolean {
  return (mode & 0o7777) === want
}

/** A find test that selects `kind` by the owner-execute rule. */
const FIND_TEST: Record<ModeKind, string> = {
  dir: '-type d',
  executable: `-type f -perm -${OWNER_EXECUTE.toString(8)}`,
  file: `-type f ! -perm -${OWNER_EXECUTE.toString(8)}`,
}

const octal = (mode: number): string => mode.toString(8).padStart(3, '0')

/**
 * The `find` operators (to follow `find PATHS... -prune`) that chmod every listed directory and
 * regular file whose mode is not canonical, by the owner-execute rule, and print each file changed
 * (NUL-terminated: git's index holds files, and those are what it must refresh). Kinds sharing a
 * mode share one chmod. `! -perm 755` compares all twelve bits, so a setuid/setgid/sticky bit alone
 * makes a path differ; the five-digit chmod (`00755`) clears setgid on directories, which GNU chmod
 * keeps for a plain `755`. Symlinks match no -type and are left alone.
 */
export function fixModesFind(): string {
  const byMode = new Map<number, ModeKind[]>()
  for (const kind of Object.keys(CANONICAL_MODES) as ModeKind[]) {
    const mode = CANONICAL_MODES[kind]
    byMode.set(mode, [...(byMode.get(mode) ?? []), kind])
  }
  return [...byMode]
    .map(([mode, kinds]) => {
      const test = kinds.length === 1 ? FIND_TEST[kinds[0] as ModeKind] : `\\( ${kinds.map((kind) => FIND_TEST[kind]).join(' -o ')} \\)`
      return `\\( ${test} ! -perm ${octal(mode)} -exec chmod 00${octal(mode)} {} + -type f -print0 \\)`
    })
    .join(' -o ')
}
