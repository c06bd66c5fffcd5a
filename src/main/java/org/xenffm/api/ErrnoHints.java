// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** What an errno means for a given family of calls, from the Xen 4.17 source (docs/xen-semantics.md §0–§7). */
final class ErrnoHints {
    private ErrnoHints() {}

    /**
     * @param withGfn whether the failed call named a gfn: ESRCH then also means "nothing mapped there", without one it
     *        can only be the domain lookup (rcu_lock_domain_by_any_id)
     */
    static String hint(String op, Errno e, boolean withGfn) {
        if (XenException.isOpen(op)) return openHint(op, e);
        boolean memshr = op.startsWith("xc_memshr") || op.startsWith("xc_sharing");
        boolean altp2m = op.startsWith("xc_altp2m");
        boolean access = op.equals("xc_set_mem_access") || op.equals("xc_set_mem_access_multi")
                || op.equals("xc_get_mem_access");
        boolean monitor = op.startsWith("xc_monitor");
        return switch (e) {
            // mem_sharing.c:mem_sharing_memop XENMEM_sharing_op_fork_reset: !d->parent → -ENOSYS; without
            // CONFIG_MEM_SHARING every memshr call is ENOSYS (no XENMEM_sharing_op handler at all)
            case ENOSYS -> op.equals("xc_memshr_fork_reset")
                    ? "the domain is not a fork (a hypervisor without CONFIG_MEM_SHARING also says ENOSYS, to every "
                      + "memshr call)"
                    : memshr ? "mem_sharing not built into this hypervisor (CONFIG_MEM_SHARING is off)" : null;
            case EOPNOTSUPP -> op.equals("xc_memshr_audit") ? "audit exists only in debug hypervisors (release build)"
                    : altp2m
                    ? "altp2m not enabled: boot Xen with altp2m=1 and set the domain's altp2m mode "
                      + "(HVM_PARAM_ALTP2M / altp2m=\"external\"), then xc_altp2m_set_domain_state(1)"
                    : memshr ? "mem_sharing needs an HVM domain on a VT-x host" 
                    : monitor ? "this event is not in the monitor capabilities of this host" : null;
            case ENODEV -> access ? "enable the monitor ring first (xc_monitor_enable)"
                    : memshr ? "the domain does not use HAP" : op.equals("xc_monitor_resume") ? "no monitor ring" : null;
            // mem_sharing_memop share: a gfn field with bit 62 (XENMEM_SHARING_OP_FIELD_IS_GREF_FLAG) is a grant
            // ref in its low 32 bits; grant_table.c:mem_sharing_gref_to_gfn: beyond the table → -ENOENT, an entry
            // not granted → -ENXIO
            case ENOENT -> op.equals("xc_memshr_share_gfns")
                    ? "a gfn with bit 62 set (~0 too) is read as grant reference (its low 32 bits), which lies beyond "
                      + "the domain's grant table"
                    : memshr ? "the grant reference lies beyond the domain's grant table" : null;
            case ENXIO -> op.equals("xc_monitor_mov_to_msr") ? "enable the monitor ring before MSR events"
                    : op.equals("xc_memshr_share_gfns")
                    ? "a gfn with bit 62 set is read as grant reference (its low 32 bits), which was never granted"
                    : memshr ? "the grant reference was never granted" : null;
            case ECHILD -> memshr ? "source handle invalid (XENMEM_SHARING_OP_S_HANDLE_INVALID)" : null;
            case EBADF -> memshr ? "client handle invalid (XENMEM_SHARING_OP_C_HANDLE_INVALID)" : null;
            case E2BIG -> op.startsWith("xc_memshr_nominate") || op.equals("xc_memshr_range_share")
                    ? "the page has extra references (a foreign or grant mapping holds it)" : null;
            // the domain lookup fails with ESRCH for every call; altp2m.c:altp2m_get_effective_entry and
            // mem_access.c:p2m_get_mem_access also say ESRCH for a gfn with nothing (or no RAM) mapped
            case ESRCH -> !withGfn ? "no such domain"
                    : altp2m ? "no such domain, or no RAM at that gfn (host entry missing or not ram_rw)"
                    : access ? "no such domain, or no valid mapping at that gfn" : "no such domain";
            case EINVAL -> op.equals("xc_altp2m_set_domain_state") || op.equals("xc_altp2m_get_domain_state")
                    ? "the domain's altp2m mode is disabled (HVM_PARAM_ALTP2M 0): on 4.17 set it first, on 4.19+ "
                      + "create the domain with altp2m=\"external\"; org.xenffm.safe.Altp2mSetup does either"
                    // p2m-ept.c:ept_set_entry: gfn >> ((wl + 1) * EPT_TABLE_ORDER) != 0 → -EINVAL (4-level EPT: 2^36)
                    : op.equals("xc_memshr_add_to_physmap") && withGfn
                    ? "e.g. the client gfn is not a hole, or lies beyond the 48-bit guest-physical address width "
                      + "of the EPT (gfn ≥ 2^36), or the source gfn has bit 62 set (read as a grant reference)"
                    // common/mem_access.c:mem_access_memop: pfn (+nr-1) > domain_get_maximum_gpfn → -EINVAL
                    : op.equals("xc_set_mem_access") || op.equals("xc_get_mem_access")
                    ? "e.g. the gfn (range) lies beyond the domain's max_gpfn (or nr is 0, or the domain is not an "
                      + "HVM guest with HAP)"
                    // _multi, the altp2m calls on view 0 and set_suppress_ve reach ept_set_entry with no max_gpfn
                    // check: gfn ≥ 2^36 → -EINVAL, and ~0 is a gfn there, not the default access
                    : (op.equals("xc_set_mem_access_multi") || op.startsWith("xc_altp2m_set_mem_access")
                       || op.startsWith("xc_altp2m_set_suppress_ve") || op.startsWith("xc_altp2m_set_supress_ve"))
                    ? "e.g. a gfn lies beyond the 48-bit guest-physical address width of the EPT (gfn ≥ 2^36; ~0 "
                      + "counts as such a gfn here, except in xc_altp2m_set_mem_access where it means the default), "
                      + "or the view is not active"
                    // mem_sharing.c XENMEM_sharing_op_range_share: max_sgfn/max_cgfn < first or last → -EINVAL
                    : op.equals("xc_memshr_range_share")
                    ? "e.g. the range goes beyond either domain's max_gpfn, or a domain is not paused" : null;
            case EEXIST -> monitor ? "the event is already in the requested state"
                    : op.equals("xc_hvm_param_set") ? "the parameter can be set only once (or only at creation)" : null;
            case EBUSY -> op.equals("xc_altp2m_destroy_view") ? "view 0, inactive, or still in use by a vCPU"
                    // memory.c:populate_physmap stops at the first extent it cannot allocate or map (ept_set_entry:
                    // gfn ≥ 2^36 → -EINVAL); libxc's _exact wrapper reports the short count as EBUSY
                    : op.equals("xc_domain_populate_physmap_exact")
                    ? "not every gfn was populated: max_pages reached, the host is out of memory, or a gfn lies "
                      + "beyond the EPT (gfn ≥ 2^36)"
                    : op.equals("xc_monitor_enable") ? "a monitor ring is already enabled"
                    : op.equals("xc_memshr_fork") ? "the child must be paused by the toolstack"
                    : op.equals("xc_hvm_inject_trap")
                    ? "an earlier injection is still pending on that vCPU (taken at its next VM entry)" : null;
            default -> null;
        };
    }

    /** Opening the privcmd or evtchn device (xc_interface_open, xenevtchn_open, xenforeignmemory_open). */
    private static String openHint(String op, Errno e) {
        String device = op.equals("xenevtchn_open") ? "/dev/xen/evtchn" : "/dev/xen/privcmd";
        return switch (e) {
            case ENOENT, ENXIO, ENODEV -> "no Xen here: " + device
                    + " is missing (not running in dom0 of a Xen host); use --backend emulated";
            case EACCES, EPERM -> device + " needs root in dom0";
            default -> null;
        };
    }
}
