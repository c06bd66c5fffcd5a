// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.MonitorEvent;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.XenVersion;

import java.util.EnumSet;
import java.util.Set;

/**
 * What the emulated host is: Xen version, CPU vendor, build options (CONFIG_MEM_SHARING, debug/release), boot
 * options (altp2m=1) and CPU features (monitor trap flag for singlestep, #VE). The default is the host xenffm is
 * built for: Xen 4.17 on VT-x with mem_sharing built in, altp2m=1, a debug hypervisor, MTF and #VE present.
 * The version is one of {@link XenVersion#SUPPORTED} (4.17 or 4.20); the rows of the spec marked ≥4.18/≥4.19/≥4.20
 * (IO events, altp2m mode at creation with a read-only HVM_PARAM_ALTP2M, lazy copies with the view's default access,
 * EEXIST when forking an altp2m parent, r_pw) are selected on it. {@link #vtx(XenVersion)} / {@link #withVersion}
 * pick the release a CI run names; any other release is refused like the FFM backend refuses it.
 *
 * @param version             the Xen release, 4.17 or 4.20
 * @param vmx                 an Intel VT-x host (else AMD SVM: no mem_sharing, altp2m or mem_access)
 * @param memSharingBuilt     CONFIG_MEM_SHARING (off: every memshr call ENOSYS)
 * @param altp2mBoot          the altp2m=1 boot option
 * @param debugHypervisor     a debug build (mem_sharing audit available)
 * @param singlestepSupported the CPU has the monitor trap flag (SINGLESTEP capability)
 * @param descAccessSupported the CPU has descriptor-table exiting (DESC_ACCESS capability)
 * @param virtExceptions      the CPU has #VE
 * @param dom0Hvm             dom0 is PVH (the sharing ring is then refused with EOPNOTSUPP)
 * @param nrCpus              physical CPUs
 * @param totalPages          host RAM in 4 KiB pages
 */
public record HostConfig(XenVersion version, boolean vmx, boolean memSharingBuilt, boolean altp2mBoot,
                         boolean debugHypervisor, boolean singlestepSupported, boolean descAccessSupported,
                         boolean virtExceptions, boolean dom0Hvm, int nrCpus, long totalPages) {

    /**
     * Checks the release.
     *
     * @throws UnsupportedXenVersionException for a release the emulator does not model
     */
    public HostConfig {
        if (!version.supported())
            throw new UnsupportedXenVersionException("emulated xc_version", version, null,
                    "the emulator models no Xen " + version);
    }

    /** 64 GiB of host RAM: enough for several 16 GiB guests. */
    public static final long DEFAULT_TOTAL_PAGES = 16L << 20;

    /** {@return Xen 4.17, VT-x with EPT, CONFIG_MEM_SHARING=y, altp2m=1, debug build, MTF and #VE} */
    public static HostConfig vtx() {
        return new HostConfig(XenVersion.V4_17, true, true, true, true, true, true, true, false, 4, DEFAULT_TOTAL_PAGES);
    }

    /**
     * The same host running Xen 4.20 (the ≥ 4.19/4.20 rows of docs/xen-semantics.md: altp2m mode fixed at creation and
     * HVM_PARAM_ALTP2M read-only, lazy copies take the view's default access, forking an altp2m parent fails with
     * EEXIST, r_pw exists, IO events).
     *
     * @return the configuration
     */
    public static HostConfig xen420() { return vtx(XenVersion.V4_20); }

    /**
     * {@link #vtx()} running the given release.
     *
     * @param version 4.17 or 4.20
     * @return the configuration
     */
    public static HostConfig vtx(XenVersion version) { return vtx().withVersion(version); }

    /**
     * The same host running another release, e.g. {@code HostConfig.bochs().withVersion(XenVersion.V4_20)}.
     *
     * @param v 4.17 or 4.20
     * @return the configuration
     */
    public HostConfig withVersion(XenVersion v) { return new HostConfig(v, vmx, memSharingBuilt, altp2mBoot, debugHypervisor, singlestepSupported, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, totalPages); }

    /** Xen ≥ 4.19: altp2m is a domain-creation option and its HVM param is read-only. */
    boolean altp2mAtCreation() { return version.altp2mAtCreation(); }

    /** {@return Debian's Xen 4.17: mem_sharing not built (every memshr call ENOSYS), release build} */
    public static HostConfig debian() { return vtx().withMemSharing(false).withDebug(false); }

    /** {@return Xen under Bochs' VT-x: no monitor trap flag, so no SINGLESTEP capability (caps 0x1f7b)} */
    public static HostConfig bochs() { return vtx().withSinglestep(false); }

    /** {@return AMD SVM: mem_access EINVAL, altp2m EOPNOTSUPP, mem_sharing EOPNOTSUPP; no MTF} */
    public static HostConfig amd() {
        return new HostConfig(XenVersion.V4_17, false, true, true, true, false, true, false, false, 4, DEFAULT_TOTAL_PAGES);
    }

    /**
     * The same host with mem_sharing built in or not.
     *
     * @param b CONFIG_MEM_SHARING
     * @return the new configuration
     */
    public HostConfig withMemSharing(boolean b) { return new HostConfig(version, vmx, b, altp2mBoot, debugHypervisor, singlestepSupported, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, totalPages); }
    /**
     * The same host booted with or without altp2m.
     *
     * @param b the altp2m=1 boot option
     * @return the new configuration
     */
    public HostConfig withAltp2mBoot(boolean b) { return new HostConfig(version, vmx, memSharingBuilt, b, debugHypervisor, singlestepSupported, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, totalPages); }
    /**
     * The same host as a debug or release build.
     *
     * @param b a debug build
     * @return the new configuration
     */
    public HostConfig withDebug(boolean b) { return new HostConfig(version, vmx, memSharingBuilt, altp2mBoot, b, singlestepSupported, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, totalPages); }
    /**
     * The same host with or without SINGLESTEP.
     *
     * @param b the monitor trap flag
     * @return the new configuration
     */
    public HostConfig withSinglestep(boolean b) { return new HostConfig(version, vmx, memSharingBuilt, altp2mBoot, debugHypervisor, b, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, totalPages); }
    /**
     * The same host with or without #VE.
     *
     * @param b #VE support
     * @return the new configuration
     */
    public HostConfig withVirtExceptions(boolean b) { return new HostConfig(version, vmx, memSharingBuilt, altp2mBoot, debugHypervisor, singlestepSupported, descAccessSupported, b, dom0Hvm, nrCpus, totalPages); }
    /**
     * The same host with a PVH or PV dom0.
     *
     * @param b a PVH dom0
     * @return the new configuration
     */
    public HostConfig withDom0Hvm(boolean b) { return new HostConfig(version, vmx, memSharingBuilt, altp2mBoot, debugHypervisor, singlestepSupported, descAccessSupported, virtExceptions, b, nrCpus, totalPages); }
    /**
     * The same host with that much RAM.
     *
     * @param n host RAM in 4 KiB pages
     * @return the new configuration
     */
    public HostConfig withTotalPages(long n) { return new HostConfig(version, vmx, memSharingBuilt, altp2mBoot, debugHypervisor, singlestepSupported, descAccessSupported, virtExceptions, dom0Hvm, nrCpus, n); }

    /** {@return hvm_altp2m_supported: altp2m=1 on the command line and VT-x with EPT} */
    public boolean altp2mSupported() { return vmx && altp2mBoot; }

    /** {@return arch_monitor_get_capabilities for an HVM domain (x86) on this host} */
    public Set<MonitorEvent> monitorCapabilities() {
        EnumSet<MonitorEvent> caps = EnumSet.of(MonitorEvent.WRITE_CTRLREG, MonitorEvent.MOV_TO_MSR,
                MonitorEvent.SOFTWARE_BREAKPOINT, MonitorEvent.GUEST_REQUEST, MonitorEvent.DEBUG_EXCEPTION,
                MonitorEvent.CPUID, MonitorEvent.INTERRUPT, MonitorEvent.EMUL_UNIMPLEMENTED,
                MonitorEvent.INGUEST_PAGEFAULT, MonitorEvent.VMEXIT);
        if (version.atLeast(4, 18)) caps.add(MonitorEvent.IO);
        if (singlestepSupported) caps.add(MonitorEvent.SINGLESTEP);
        if (descAccessSupported) caps.add(MonitorEvent.DESC_ACCESS);
        return caps;
    }
}
