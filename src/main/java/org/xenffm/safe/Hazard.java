// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

/**
 * The ways mem_sharing and altp2m collide on one gfn in Xen 4.17 and 4.20 (docs/xen-semantics.md §3.3 step 5, §3.7,
 * §4.5–§4.8, §4.10, scenarios 10–16 and 19–21), each with what raw Xen does and what xenffm does instead. The table in
 * docs/safe-layer.md is this enum.
 */
public enum Hazard {
    /** A view change on a shared gfn the view has not copied: panics raw Xen. */
    VIEW_CHANGE_ON_UNCOPIED_SHARED_GFN(
            "altp2m set_mem_access / change_gfn / set_suppress_ve on a shared gfn the view has not copied",
            "hypervisor panic: the unshare in altp2m_get_effective_entry takes the sharing lock (24) under the "
                    + "altp2m lock (40), \"Xen BUG at mm-locks.h:80\" (OBSERVED 4.17.5, scenarios 12, 16)",
            "never issued. KEEP_BOTH: pause, unshare via a writable foreign mapping, make the view hold an "
                    + "identical entry, re-nominate and re-share with the remaining partner, then apply. UNSHARE: "
                    + "unshare, then apply. REFUSE: CrashHazardException"),
    /** Nominating a gfn a view holds with another access: EINVAL from raw Xen. */
    NOMINATE_VIEW_ACCESS_DIFFERS(
            "nominate/share a gfn whose entry in some view has another access than the host",
            "EINVAL (mem_sharing.c:nominate_page altp2m check, scenario 10)",
            "KEEP_BOTH: pause, set the view entry to the host access, nominate, re-apply the view access on the "
                    + "now-shared entry (safe: the view holds it), unpause. REFUSE: NominateConflictException"),
    /** Nominating a gfn a view remaps: EINVAL from raw Xen. */
    NOMINATE_VIEW_REMAPPED(
            "nominate/share a gfn that some view remaps to another frame",
            "EINVAL (view mfn differs from host mfn, scenario 11)",
            "KEEP_BOTH: pause, drop the remap, make the view hold an identical entry, nominate, re-apply the remap "
                    + "(the view holds the entry, so no unshare under the altp2m lock), unpause. "
                    + "REFUSE: NominateConflictException"),
    /** Nominating a remap target: accepted by raw Xen, but the remap escapes copy-on-write. */
    NOMINATE_REMAP_TARGET(
            "nominate/share a gfn that some view uses as a remap target",
            "0, but the remapped view entry keeps the frame writable (type ram_rw) outside copy-on-write: guest "
                    + "writes through it change every sharer's page, and a merge frees the frame under it (DERIVED)",
            "always refused: RemapConflictException (remove the remap first, or share another gfn)"),
    /** Remapping onto a shared gfn: a panic or an entry the sharing rmap does not know. */
    REMAP_TO_SHARED_TARGET(
            "change_gfn(view, g, g2) where g2 is shared",
            "panic if the view has not copied g2 (as above); otherwise the view maps g onto a shared-type entry "
                    + "the rmap does not know: a guest write through g crashes the domain or goes stale after an "
                    + "unshare of g2 (§4.7 DERIVED hazard)",
            "UNSHARE: unshare g2 first, then remap. KEEP_BOTH and REFUSE: RemapConflictException"),
    /** An unshare silently resets every view holding the gfn. */
    UNSHARE_OVERWRITES_VIEWS(
            "a guest write (from any view, the view itself included) or a writable foreign mapping unshares a gfn "
                    + "that views restrict or remap",
            "silent: every view holding the gfn gets (new frame, ram_rw, host default access); restrictions and "
                    + "remaps are gone and no event is sent (unshare runs before the access check, scenario 14)",
            "the domain's host default access is made write-less while such gfns exist, so the write after the "
                    + "unshare faults; on that MEM_ACCESS event xenffm re-applies the host access and every view's "
                    + "declared entries, then resumes the vCPU; the retried write meets the declared view"),
    /** Nominate, share and add_to_physmap silently reset the views holding the gfn. */
    SHARE_OVERWRITES_VIEWS(
            "nominate, share or add_to_physmap on a gfn views hold",
            "silent: the views' entries take the host default access (§3.3 step 8, §3.4 step 5, §4.8)",
            "re-applies the declared entries of every slot the call rewrote, before unpausing"),
    /** A fork gets none of its parent's views, accesses or monitor settings. */
    FORK_VIEWS_NOT_COPIED(
            "xc_memshr_fork of a parent with views",
            "the child has no active altp2m, no views, no mem_access and no monitor ring (§3.10 step 6)",
            "recreates the declared views in the child with the same indices and re-applies their entries"),
    /** A view change on a fork gfn not yet populated: the same lock-order panic (derived). */
    VIEW_CHANGE_ON_FORK_HOLE(
            "altp2m view change on a fork gfn the child has not populated yet",
            "the effective-entry lookup populates from the parent under the altp2m lock (parent p2m lock, level "
                    + "16, under 40): the same lock-order panic (DERIVED, not run on real Xen)",
            "populates the gfn privately first through a writable foreign mapping, then applies"),
    /** fork_reset drops private pages and with them view entries. */
    FORK_RESET_DROPS_VIEW_ENTRIES(
            "fork_reset(memory) of a child with views",
            "private pages are dropped unless a view pins them; a dropped page inside a remap range resets the "
                    + "whole view (§3.11, §4.8)",
            "re-populates the declared gfns and re-applies every declared view entry before unpausing"),
    /** A fork child's read nominates the parent's page behind dom0's back. */
    FORK_READ_NOMINATES_PARENT(
            "a fork child reads a gfn of its parent",
            "mem_sharing_fork_page nominates the parent's page behind dom0's back: parent views holding it take "
                    + "the default access, and a parent remap target becomes shared while a view maps it writable "
                    + "(§3.10)",
            "on the child's destruction (the parent is paused until then): the parent's declared gfns are synced "
                    + "with Xen, re-applied, and remap targets made private again"),
    /** Xen ≥ 4.19: a gfn both shared and declared in a view cannot be kept consistent. */
    SHARED_AND_DECLARED_ON_4_19(
            "on Xen ≥ 4.19: a gfn both shared and declared in a view (view access or remap on a shared gfn, or "
                    + "sharing a gfn a view declares)",
            "a guest write that unshares it from a view lacking the entry (view 0 included) lazily copies the "
                    + "view's default access, not the host's (p2m_altp2m_get_or_propagate, OBSERVED 4.20.4): no "
                    + "fault follows, and every view holding the gfn silently got the new frame with the host "
                    + "default access. A view's default access is fixed at creation (gfn ~0 sets only the host's), "
                    + "so dom0 cannot make that write fault",
            "refused with ReleaseLimitException before any call (UNSHARE policy on a view change: the gfn is "
                    + "unshared first and the view applied on the private page)"),
    /** Xen ≥ 4.19: forking a parent with an altp2m mode fails with EEXIST. */
    FORK_OF_ALTP2M_PARENT(
            "on Xen ≥ 4.19: xc_memshr_fork of a parent that has an altp2m mode",
            "EEXIST: hvm_copy_context_and_params sets HVM_PARAM_ALTP2M in the child, read-only since 4.19; the "
                    + "fork is rolled back and the parent keeps running (OBSERVED 4.20.4)",
            "refused with ReleaseLimitException before any call. Fork a parent created without altp2m: xenffm "
                    + "creates the child with altp2m mode external (DomainConfig.withAltp2mMode), so views can be "
                    + "created in the child"),
    /** A sharing partner is destroyed: the survivors keep the frame shared. */
    PARTNER_DESTROYED(
            "destroying a domain that shares frames with a managed domain",
            "the survivors keep the frame shared (count drops, last owner stays ram_shared, §3.9); their views are "
                    + "untouched",
            "drops the dead domain's slots from the ledger; a later unshare in the survivor is handled as above");

    private final String ordering;
    private final String rawXen;
    private final String xenffm;

    Hazard(String ordering, String rawXen, String xenffm) {
        this.ordering = ordering;
        this.rawXen = rawXen;
        this.xenffm = xenffm;
    }

    /** {@return the call order that meets the hazard} */
    public String ordering() { return ordering; }
    /** {@return what raw Xen 4.17 / 4.20 does then} */
    public String rawXen() { return rawXen; }
    /** {@return what xenffm's safe layer does instead} */
    public String xenffm() { return xenffm; }
}
