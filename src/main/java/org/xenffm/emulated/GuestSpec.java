package org.xenffm.emulated;

/**
 * A guest the emulator builds as if the toolstack had: vCPUs, RAM pages, HVM/HAP/IOMMU, initially paused or not, and
 * (Xen ≥ 4.19 only) the altp2m mode chosen at creation (xl's {@code altp2m = "external"}).
 */
public record GuestSpec(int vcpus, long pages, boolean hvm, boolean hap, boolean iommu, boolean paused, long altp2mMode) {
    /** A running HVM+HAP guest. */
    public static GuestSpec hvm(int vcpus, long pages) { return new GuestSpec(vcpus, pages, true, true, false, false, 0); }

    public GuestSpec pausedAtStart() { return new GuestSpec(vcpus, pages, hvm, hap, iommu, true, altp2mMode); }

    public GuestSpec withIommu() { return new GuestSpec(vcpus, pages, hvm, hap, true, paused, altp2mMode); }

    public GuestSpec withoutHap() { return new GuestSpec(vcpus, pages, hvm, false, iommu, paused, altp2mMode); }

    public GuestSpec pv() { return new GuestSpec(vcpus, pages, false, false, iommu, paused, altp2mMode); }

    /** HVM_PARAM_ALTP2M given at creation (Xen ≥ 4.19; on 4.17 creation refuses it, set the param instead). */
    public GuestSpec withAltp2m(long mode) { return new GuestSpec(vcpus, pages, hvm, hap, iommu, paused, mode); }
}
