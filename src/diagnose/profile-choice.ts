/**
 * Which kernel profiles diagnose runs, from `--profile` and the boots'
 * `Linux version` lines:
 *   a profile id   both boots run that kernel ("what if I used it?")
 *   all            every registered profile (src/profiles/index.ts), one case each
 *   auto           each boot its own kernel: the release's major.minor picks the
 *                  registered profile of that version, else the nearest one (with
 *                  a note saying so); a boot without a version line takes the
 *                  other boot's; with no version anywhere, every profile
 */
import { UsageError } from '../errors.js';
import { PROFILES } from '../profiles/index.js';
import type { KernelProfile } from '../profiles/types.js';

export interface ProfileCase {
  /** Label of the case: the profile id, or "linux-6.12 -> linux-3.10" when the boots differ. */
  readonly label: string;
  readonly suspend: KernelProfile;
  readonly resume: KernelProfile;
  readonly notes: string[];
}

/** major * 1000 + minor of "6.12.117+deb12-amd64" / "linux-6.12"; null when there is none. */
export function versionKey(text: string): number | null {
  const m = /(\d+)\.(\d+)/.exec(text);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : null;
}

const fmt = (k: number): string => `${Math.floor(k / 1000)}.${k % 1000}`;

/** The registered profile for a kernel release, or the nearest by version, with a note when not exact. */
export function profileForRelease(
  release: string,
  profiles: readonly KernelProfile[] = PROFILES,
): { profile: KernelProfile; note: string | null } {
  const want = versionKey(release);
  const keyed = profiles
    .map((p) => ({ p, k: versionKey(p.id) }))
    .filter((x): x is { p: KernelProfile; k: number } => x.k !== null);
  if (want === null || keyed.length === 0) {
    return {
      profile: profiles[0]!,
      note: `release '${release}' has no version number: using ${profiles[0]!.id}`,
    };
  }
  const exact = keyed.find((x) => x.k === want);
  if (exact) return { profile: exact.p, note: null };
  // Nearest version; on a tie the newer profile.
  const best = [...keyed].sort((a, b) => Math.abs(a.k - want) - Math.abs(b.k - want) || b.k - a.k)[0]!;
  return {
    profile: best.p,
    note: `no profile for Linux ${fmt(want)} (${release}) is registered: using the nearest, ${best.p.id}; where ${fmt(want)} differs from ${fmt(best.k)} the verdict may too`,
  };
}

export function chooseProfiles(
  choice: string,
  suspendRelease: string | null,
  resumeRelease: string | null,
  profiles: readonly KernelProfile[] = PROFILES,
): ProfileCase[] {
  const both = (p: KernelProfile, notes: string[] = []): ProfileCase => ({
    label: p.id,
    suspend: p,
    resume: p,
    notes,
  });
  if (choice === 'all') return profiles.map((p) => both(p));
  if (choice !== 'auto') {
    const p = profiles.find((x) => x.id === choice);
    if (!p) {
      throw new UsageError(
        'PROFILE_UNKNOWN',
        `--profile ${choice}: expected auto, all or one of ${profiles.map((x) => x.id).join(', ')}`,
      );
    }
    return [both(p)];
  }
  if (suspendRelease === null && resumeRelease === null) {
    return profiles.map((p) =>
      both(p, ['no "Linux version" line in either log: every registered profile is shown']),
    );
  }
  const notes: string[] = [];
  const s = suspendRelease ?? resumeRelease!;
  const r = resumeRelease ?? suspendRelease!;
  if (suspendRelease === null) notes.push(`the suspend log has no "Linux version" line: taken as ${r}`);
  if (resumeRelease === null) notes.push(`the resume log has no "Linux version" line: taken as ${s}`);
  const ps = profileForRelease(s, profiles);
  const pr = profileForRelease(r, profiles);
  if (ps.note) notes.push(`suspend kernel: ${ps.note}`);
  if (pr.note && (pr.note !== ps.note || s !== r)) notes.push(`resume kernel: ${pr.note}`);
  return [
    {
      label: ps.profile === pr.profile ? ps.profile.id : `${ps.profile.id} -> ${pr.profile.id}`,
      suspend: ps.profile,
      resume: pr.profile,
      notes,
    },
  ];
}
