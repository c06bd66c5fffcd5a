// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * An HVM parameter index (public/hvm/params.h) for {@code xc_hvm_param_get} / {@code xc_hvm_param_set}.
 *
 * @param index the HVM_PARAM_* number
 * @param name  its C name, for messages
 */
public record HvmParam(int index, String name) {
    // The gfns of the pages a fork gets private copies of (mem_sharing.c:copy_special_pages); the toolstack sets
    // them when it builds an HVM or PVH guest (libxl's special pages, xg_dom_x86.c:alloc_magic_pages_hvm).
    /** The xenstore ring page's gfn (xc_hvm_param_get/set). */
    public static final HvmParam STORE_PFN = new HvmParam(1, "HVM_PARAM_STORE_PFN");
    /** The synchronous ioreq page's gfn. */
    public static final HvmParam IOREQ_PFN = new HvmParam(5, "HVM_PARAM_IOREQ_PFN");
    /** The buffered ioreq page's gfn. */
    public static final HvmParam BUFIOREQ_PFN = new HvmParam(6, "HVM_PARAM_BUFIOREQ_PFN");
    /** The PV console ring page's gfn. */
    public static final HvmParam CONSOLE_PFN = new HvmParam(17, "HVM_PARAM_CONSOLE_PFN");
    /** The gfn of the mem_paging ring page (27). */
    public static final HvmParam PAGING_RING_PFN = new HvmParam(27, "HVM_PARAM_PAGING_RING_PFN");
    /** The gfn of the monitor vm_event ring page, which {@code xc_monitor_enable} maps (28). */
    public static final HvmParam MONITOR_RING_PFN = new HvmParam(28, "HVM_PARAM_MONITOR_RING_PFN");
    /** The gfn of the mem_sharing ENOMEM ring page (29). */
    public static final HvmParam SHARING_RING_PFN = new HvmParam(29, "HVM_PARAM_SHARING_RING_PFN");
    /** The domain's altp2m mode (35): settable once on 4.17, fixed at creation from 4.19. */
    public static final HvmParam ALTP2M = new HvmParam(35, "HVM_PARAM_ALTP2M");

    /** HVM_PARAM_ALTP2M value: altp2m off. */
    public static final long ALTP2M_DISABLED = 0;
    /** HVM_PARAM_ALTP2M value: the guest and dom0 may drive altp2m. */
    public static final long ALTP2M_MIXED = 1;
    /** HVM_PARAM_ALTP2M value: only dom0 (a device-model-privileged domain) drives altp2m, as xenffm does. */
    public static final long ALTP2M_EXTERNAL = 2;
    /** HVM_PARAM_ALTP2M value: the guest may only enable #VE notification; dom0 drives the rest. */
    public static final long ALTP2M_LIMITED = 3;

    /**
     * The parameter with this index; the four above by name, any other as "HVM_PARAM n".
     *
     * @param index the HVM_PARAM_* number
     * @return the parameter
     */
    public static HvmParam of(int index) {
        return switch (index) {
            case 1 -> STORE_PFN;
            case 5 -> IOREQ_PFN;
            case 6 -> BUFIOREQ_PFN;
            case 17 -> CONSOLE_PFN;
            case 27 -> PAGING_RING_PFN;
            case 28 -> MONITOR_RING_PFN;
            case 29 -> SHARING_RING_PFN;
            case 35 -> ALTP2M;
            default -> new HvmParam(index, "HVM_PARAM " + index);
        };
    }

    @Override public String toString() { return name; }
}
