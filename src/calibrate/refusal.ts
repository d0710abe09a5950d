/**
 * What the kernel rules predict for an io_uring buffer registration (FOLL_WRITE |
 * FOLL_PIN | FOLL_LONGTERM, io_uring/rsrc.c io_pin_pages) over each mapping kind the
 * probe tries. Used as the model's side of the refusal matrix until the coverage issue's
 * preset module (src/model/gup-rules.ts) is on main; then that module decides.
 *
 * Rules (the kernel source decides):
 * - FOLL_WRITE on a VMA without VM_WRITE fails with -EFAULT (mm/gup.c check_vma_flags,
 *   every release; io_uring always asks for write, so a PROT_READ mapping fails whatever
 *   its backing).
 * - Since 6.5, FOLL_LONGTERM | FOLL_WRITE on a shared mapping that needs dirty tracking
 *   fails with -EFAULT (mm/gup.c writable_file_mapping_allowed, commit 8ac268436e6d;
 *   GUP-fast a6e79df92e4a). The selftest's rule (tools/testing/selftests/mm/gup_longterm.c):
 *   `should_work = !shared || !rw || fs_supports_writable_longterm_pinning(fs_type)`, true
 *   only for tmpfs and hugetlbfs.
 * - MAP_PRIVATE file mappings pin the COW copy (anonymous): allowed.
 */

/** The mapping kinds of calibrate/longterm.c. */
export const MAPPING_KINDS = ["anon", "file-shared", "file-private", "memfd-shared", "file-shared-ro"] as const;
/** One of MAPPING_KINDS: anonymous, a shared or private file mapping, a shared memfd (shmem), a read-only shared file mapping. */
export type MappingKind = (typeof MAPPING_KINDS)[number];

/** What GUP sees of a mapping kind: MAP_SHARED or private, PROT_WRITE or not, and what backs it. */
export interface MappingShape {
  /** MAP_SHARED (else MAP_PRIVATE, copy-on-write). */
  shared: boolean;
  /** Mapped PROT_WRITE (only file-shared-ro is not). */
  writable: boolean;
  /** "anon", "shmem", or the filesystem type of the results folder. */
  backing: string;
}

/** The shape of mapping kind `kind` as longterm.c maps it, a file one on the results folder's filesystem `fsType`. */
export function mappingShape(kind: MappingKind, fsType: string): MappingShape {
  switch (kind) {
    case "anon":
      return { shared: false, writable: true, backing: "anon" };
    case "file-shared":
      return { shared: true, writable: true, backing: fsType };
    case "file-private":
      return { shared: false, writable: true, backing: fsType };
    case "memfd-shared":
      return { shared: true, writable: true, backing: "shmem" };
    case "file-shared-ro":
      return { shared: true, writable: false, backing: fsType };
  }
}

/** fs_supports_writable_longterm_pinning (selftests): tmpfs/shmem and hugetlbfs. */
export function supportsWritableLongtermPinning(backing: string): boolean {
  return backing === "shmem" || backing === "tmpfs" || backing === "hugetlbfs" || backing === "anon";
}

/** "6.18.44-fc-v782" -> [6, 18]; null if unreadable. */
export function releaseOf(kernelRelease: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The preset name for a release: "6.18.44-x" -> "6.18". */
export function presetOf(kernelRelease: string): string | null {
  const r = releaseOf(kernelRelease);
  return r ? `${r[0]}.${r[1]}` : null;
}

/** "pinned" or "refused (EFAULT)" for io_uring's long-term writable pin, by the rules above. */
export function expectedRegistration(
  kind: MappingKind,
  fsType: string,
  kernelRelease: string,
): { verdict: string; why: string } {
  const m = mappingShape(kind, fsType);
  const r = releaseOf(kernelRelease) ?? [0, 0];
  if (!m.writable)
    return { verdict: "refused (EFAULT)", why: "FOLL_WRITE on a VMA without VM_WRITE (mm/gup.c check_vma_flags)" };
  const since65 = r[0] > 6 || (r[0] === 6 && r[1] >= 5);
  if (since65 && m.shared && !supportsWritableLongtermPinning(m.backing))
    return {
      verdict: "refused (EFAULT)",
      why: `shared writable ${m.backing} needs dirty tracking: FOLL_LONGTERM refused since 6.5 (8ac268436e6d)`,
    };
  if (!m.shared && m.backing !== "anon")
    return { verdict: "pinned", why: "MAP_PRIVATE: the pin lands on the COW copy" };
  return { verdict: "pinned", why: m.shared ? `${m.backing} supports writable long-term pins` : "anonymous memory" };
}
