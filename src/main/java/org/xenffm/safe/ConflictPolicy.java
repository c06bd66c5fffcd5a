// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

/** What xenffm does when a requested change meets the other feature on the same gfn (see {@link Hazard}). */
public enum ConflictPolicy {
    /** Keep the gfn shared and the view as declared, reordering the calls so Xen accepts them safely. */
    KEEP_BOTH,
    /** Give up the sharing of the gfn (unshare it through a writable foreign mapping), then apply the view change. */
    UNSHARE,
    /** Change nothing and throw a {@link SafetyException} explaining the conflict. */
    REFUSE
}
