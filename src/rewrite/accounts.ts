/** User and group lookups over /etc/passwd and /etc/group texts, as BuildKit resolves --chown. */

export interface PasswdEntry {
  name: string
  uid: number
  gid: number
}

function rows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(':'))
}

export function findUser(passwd: string, name: string): PasswdEntry | undefined {
  for (const [user, , uid, gid] of rows(passwd)) {
    if (user === name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      return {name, uid: Number(uid), gid: Number(gid)}
    }
  }
  return undefined
}

export function findGroup(group: string, name: string): number | undefined {
  for (const [groupName, , gid] of rows(group)) {
    if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid)
  }
  return undefined
}
