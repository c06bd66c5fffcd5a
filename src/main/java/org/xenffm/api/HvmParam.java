// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** An HVM parameter index (public/hvm/params.h). */
public record HvmParam(int index, String name) {
    public static final HvmParam PAGING_RING_PFN = new HvmParam(27, "HVM_PARAM_PAGING_RING_PFN");
    public static final HvmParam MONITOR_RING_PFN = new HvmParam(28, "HVM_PARAM_MONITOR_RING_PFN");
    public static final HvmParam SHARING_RING_PFN = new HvmParam(29, "HVM_PARAM_SHARING_RING_PFN");
    public static final HvmParam ALTP2M = new HvmParam(35, "HVM_PARAM_ALTP2M");

    /** HVM_PARAM_ALTP2M values. */
    public static final long ALTP2M_DISABLED = 0, ALTP2M_MIXED = 1, ALTP2M_EXTERNAL = 2, ALTP2M_LIMITED = 3;

    public static HvmParam of(int index) {
        return switch (index) {
            case 27 -> PAGING_RING_PFN;
            case 28 -> MONITOR_RING_PFN;
            case 29 -> SHARING_RING_PFN;
            case 35 -> ALTP2M;
            default -> new HvmParam(index, "HVM_PARAM " + index);
        };
    }

    @Override public String toString() { return name; }
}
