package org.xenffm.emulated;

/** A guest the emulator builds as if the toolstack had: vCPUs, RAM pages, HVM/HAP/IOMMU, initially paused or not. */
public record GuestSpec(int vcpus, long pages, boolean hvm, boolean hap, boolean iommu, boolean paused) {
    /** A running HVM+HAP guest. */
    public static GuestSpec hvm(int vcpus, long pages) { return new GuestSpec(vcpus, pages, true, true, false, false); }

    public GuestSpec pausedAtStart() { return new GuestSpec(vcpus, pages, hvm, hap, iommu, true); }

    public GuestSpec withIommu() { return new GuestSpec(vcpus, pages, hvm, hap, true, paused); }

    public GuestSpec withoutHap() { return new GuestSpec(vcpus, pages, hvm, false, iommu, paused); }

    public GuestSpec pv() { return new GuestSpec(vcpus, pages, false, false, iommu, paused); }
}
