// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenVersion;

/**
 * The Xen releases the emulator models. The scenario and rule classes run once per release
 * ({@code @ParameterizedClass @EnumSource(Release.class)}); where a release behaves differently, the expectation is
 * one of the methods below, each naming the docs/xen-semantics.md row it comes from (that row says what the real-Xen
 * harness observed).
 */
enum Release {
    XEN_4_17(XenVersion.V4_17), XEN_4_20(XenVersion.V4_20);

    final XenVersion version;

    Release(XenVersion version) { this.version = version; }

    /** The default emulated host (VT-x, mem_sharing, altp2m=1, debug, MTF, #VE) running this release. */
    EmulatedHypervisor emulator() { return emulator(HostConfig.vtx()); }

    /** Another host shape (e.g. {@link HostConfig#bochs()}, {@link HostConfig#debian()}) running this release. */
    EmulatedHypervisor emulator(HostConfig base) { return new EmulatedHypervisor(base.withVersion(version)); }

    /** A running HVM guest in altp2m external mode as xl creates it ({@code altp2m = "external"}) on this release. */
    DomainId altp2mGuest(EmulatedHypervisor emu, int vcpus, long pages) {
        return emu.createGuest(GuestSpec.hvm(vcpus, pages).withAltp2m(HvmParam.ALTP2M_EXTERNAL));
    }

    // ---- the rows that differ ---------------------------------------------------------------------------------

    /** §4.1: ≥ 4.19 the mode is a creation option and HVM_PARAM_ALTP2M is read-only (EEXIST for every value). */
    boolean altp2mParamReadOnly() { return version.altp2mAtCreation(); }

    /** §4.5: the access of a lazily copied view entry — 4.17 the host entry's, ≥ 4.19 the view's default. */
    MemAccess lazyCopyAccess(MemAccess hostAccess, MemAccess viewDefault) {
        return version.altp2mAtCreation() ? viewDefault : hostAccess;
    }

    /** §3.10 step 6 / §8.20: ≥ 4.19 forking a parent whose altp2m mode is set fails with EEXIST. */
    boolean forkOfAltp2mParentFails() { return version.altp2mAtCreation(); }

    /** §5.1: r_pw (xenmem_access_t 10) exists from 4.20; default moved to 11. */
    boolean hasReadPageWalk() { return version.atLeast(4, 20); }

    /** §6.1: IO_INSTRUCTION is a monitor capability from 4.18. */
    boolean hasIoEvents() { return version.atLeast(4, 18); }

    /** §6.1: the x86 HVM capability mask (Bochs' VT-x, no MTF: 0x1f7b on 4.17, 0x3f7b on 4.20; +SINGLESTEP 0x4). */
    long capabilities(boolean singlestep) {
        return 0x1f7b | (singlestep ? 1 << 2 : 0) | (hasIoEvents() ? 1 << 13 : 0);
    }

    @Override public String toString() { return "Xen " + version; }
}
