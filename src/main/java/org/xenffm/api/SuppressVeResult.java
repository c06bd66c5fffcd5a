// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.Optional;

/**
 * xc_altp2m_set_supress_ve_multi reports per-gfn failures separately: the call succeeds and names the first gfn
 * that failed with its errno (docs/xen-semantics.md §4.9).
 *
 * @param firstErrorGfn the first gfn that failed, if any
 * @param firstError    its errno (ESRCH: no RAM at that gfn), if any
 */
public record SuppressVeResult(Optional<Gfn> firstErrorGfn, Optional<Errno> firstError) {
    /** Every gfn was changed. */
    public static final SuppressVeResult OK = new SuppressVeResult(Optional.empty(), Optional.empty());

    /** {@return whether every gfn was changed} */
    public boolean allApplied() { return firstError.isEmpty(); }
}
