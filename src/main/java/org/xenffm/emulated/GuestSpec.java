// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * A guest the emulator builds as if the toolstack had: vCPUs, RAM pages, HVM/HAP/IOMMU, initially paused or not, and
 * the altp2m mode of xl's {@code altp2m = "external"} (≥ 4.19 a creation option; 4.17 libxl sets HVM_PARAM_ALTP2M
 * right after creation — the same state either way).
 *
 * @param vcpus      vCPUs, at least 1
 * @param pages      RAM pages at gfns [0, pages)
 * @param hvm        an HVM guest
 * @param hap        with hardware-assisted paging (needs {@code hvm})
 * @param iommu      with an IOMMU (mem_sharing then refuses it with EXDEV)
 * @param paused     paused by the toolstack at start
 * @param altp2mMode an HVM_PARAM_ALTP2M value, 0 for none
 */
public record GuestSpec(int vcpus, long pages, boolean hvm, boolean hap, boolean iommu, boolean paused, long altp2mMode) {
    /**
     * A running HVM+HAP guest.
     *
     * @param vcpus vCPUs
     * @param pages RAM pages
     * @return the spec
     */
    public static GuestSpec hvm(int vcpus, long pages) { return new GuestSpec(vcpus, pages, true, true, false, false, 0); }

    /** {@return the same guest, paused by the toolstack at start} */
    public GuestSpec pausedAtStart() { return new GuestSpec(vcpus, pages, hvm, hap, iommu, true, altp2mMode); }

    /** {@return the same guest with an IOMMU} */
    public GuestSpec withIommu() { return new GuestSpec(vcpus, pages, hvm, hap, true, paused, altp2mMode); }

    /** {@return the same guest on shadow paging (no HAP)} */
    public GuestSpec withoutHap() { return new GuestSpec(vcpus, pages, hvm, false, iommu, paused, altp2mMode); }

    /** {@return the same guest as a PV guest (neither HVM nor HAP)} */
    public GuestSpec pv() { return new GuestSpec(vcpus, pages, false, false, iommu, paused, altp2mMode); }

    /**
     * xl's altp2m mode, applied the way the release's toolstack applies it.
     *
     * @param mode an HVM_PARAM_ALTP2M value, e.g. {@link org.xenffm.api.HvmParam#ALTP2M_EXTERNAL}
     * @return the spec
     */
    public GuestSpec withAltp2m(long mode) { return new GuestSpec(vcpus, pages, hvm, hap, iommu, paused, mode); }
}
