// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

/**
 * A guest the emulator builds as if the toolstack had: vCPUs, RAM pages, HVM/HAP/IOMMU, initially paused or not, and
 * the altp2m mode of xl's {@code altp2m = "external"} (≥ 4.19 a creation option; 4.17 libxl sets HVM_PARAM_ALTP2M
 * right after creation — the same state either way).
 */
public record GuestSpec(int vcpus, long pages, boolean hvm, boolean hap, boolean iommu, boolean paused, long altp2mMode) {
    /** A running HVM+HAP guest. */
    public static GuestSpec hvm(int vcpus, long pages) { return new GuestSpec(vcpus, pages, true, true, false, false, 0); }

    public GuestSpec pausedAtStart() { return new GuestSpec(vcpus, pages, hvm, hap, iommu, true, altp2mMode); }

    public GuestSpec withIommu() { return new GuestSpec(vcpus, pages, hvm, hap, true, paused, altp2mMode); }

    public GuestSpec withoutHap() { return new GuestSpec(vcpus, pages, hvm, false, iommu, paused, altp2mMode); }

    public GuestSpec pv() { return new GuestSpec(vcpus, pages, false, false, iommu, paused, altp2mMode); }

    /** xl's altp2m mode (HVM_PARAM_ALTP2M values), applied the way the release's toolstack applies it. */
    public GuestSpec withAltp2m(long mode) { return new GuestSpec(vcpus, pages, hvm, hap, iommu, paused, mode); }
}
