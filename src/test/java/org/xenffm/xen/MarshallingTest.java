// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.XenVersion;
import org.xenffm.bindings.xen417.xen_arch_domainconfig;
import org.xenffm.bindings.xen417.xen_domctl_createdomain;
import org.xenffm.bindings.xen417.xen_domctl_getdomaininfo;
import org.xenffm.bindings.xen417.xen_sysctl_physinfo;

/** What the backend writes into and reads out of Xen's structs, checked against the C ABI values (domctl.h). */
class MarshallingTest {
    final Arena arena = Arena.ofAuto();
    static final java.lang.foreign.GroupLayout L417 = XenDomains.createDomainLayout(XenVersion.V4_17);

    @Test
    void forkChildCreateDomainIsHvmHapOosOffWithLapicOnly() {
        MemorySegment cfg = xen_domctl_createdomain.allocate(arena);
        XenDomains.fillCreateDomain(cfg, L417, DomainConfig.forkChild(4), XenDomains.DEFAULT_X86_EMULATION,
                XenVersion.V4_17);
        // domctl.h: XEN_DOMCTL_CDF_hvm = 1<<0, _hap = 1<<1, _oos_off = 1<<3; arch-x86/xen.h: XEN_X86_EMU_LAPIC = 1<<0
        assertEquals(0b1011, xen_domctl_createdomain.flags(cfg));
        assertEquals(4, xen_domctl_createdomain.max_vcpus(cfg));
        assertEquals(1023, xen_domctl_createdomain.max_evtchn_port(cfg));
        assertEquals(-1, xen_domctl_createdomain.max_grant_frames(cfg));
        assertEquals(-1, xen_domctl_createdomain.max_maptrack_frames(cfg));
        assertEquals(1, xen_domctl_createdomain.grant_opts(cfg));
        assertEquals(1, xen_arch_domainconfig.emulation_flags(xen_domctl_createdomain.arch(cfg)));
        assertEquals(0, xen_domctl_createdomain.ssidref(cfg));
        assertEquals(0, xen_domctl_createdomain.iommu_opts(cfg));
    }

    @Test
    void explicitEmulationFlagsAndPvDomains() {
        MemorySegment cfg = xen_domctl_createdomain.allocate(arena);
        XenDomains.fillCreateDomain(cfg, L417, DomainConfig.forkChild(1), 0x3ff, XenVersion.V4_17);
        assertEquals(0x3ff, xen_arch_domainconfig.emulation_flags(xen_domctl_createdomain.arch(cfg)));
        MemorySegment pv = xen_domctl_createdomain.allocate(arena);
        XenDomains.fillCreateDomain(pv, L417, new DomainConfig(1, false, false, 0, 0), 0x3ff, XenVersion.V4_17);
        assertEquals(0b1000, xen_domctl_createdomain.flags(pv), "PV: only oos_off");
        assertEquals(0, xen_arch_domainconfig.emulation_flags(xen_domctl_createdomain.arch(pv)));
    }

    @Test
    void createDomainRefusesWhatXen417CannotDo() {
        MemorySegment cfg = xen_domctl_createdomain.allocate(arena);
        assertThrows(UnsupportedOnThisXenException.class, () -> XenDomains.fillCreateDomain(cfg, L417,
                new DomainConfig(1, true, true, 2, 0), 1, XenVersion.V4_17));
        assertThrows(IllegalArgumentException.class, () -> XenDomains.fillCreateDomain(cfg, L417,
                new DomainConfig(0, true, true, 0, 0), 1, XenVersion.V4_17));
        assertThrows(IllegalArgumentException.class, () -> XenDomains.fillCreateDomain(cfg, L417,
                new DomainConfig(1, false, true, 0, 0), 1, XenVersion.V4_17));
    }

    @Test
    void xen420CreateDomainCarriesTheAltp2mModeAndShiftedArch() {
        var l = XenDomains.createDomainLayout(XenVersion.V4_20);
        assertEquals(org.xenffm.bindings.xen420.xen_domctl_createdomain.layout(), l);
        MemorySegment cfg = arena.allocate(l);
        XenDomains.fillCreateDomain(cfg, l, new DomainConfig(2, true, true, HvmParam.ALTP2M_EXTERNAL, 0),
                XenDomains.DEFAULT_X86_EMULATION, XenVersion.V4_20);
        // bindings/DIFF-4.17-4.20.md: altp2m_opts at 48, vmtrace_size 52, cpupool_id 56, arch 60
        assertEquals(2, cfg.get(java.lang.foreign.ValueLayout.JAVA_INT, 48));
        assertEquals(1, cfg.get(java.lang.foreign.ValueLayout.JAVA_INT, 60));
        assertEquals(0, cfg.get(java.lang.foreign.ValueLayout.JAVA_INT, 52));
        assertEquals(2, org.xenffm.bindings.xen420.xen_domctl_createdomain.altp2m_opts(cfg));
        assertEquals(2, org.xenffm.bindings.xen420.xen_domctl_createdomain.max_vcpus(cfg));
        assertEquals(0b1011, org.xenffm.bindings.xen420.xen_domctl_createdomain.flags(cfg));
        assertEquals(1, org.xenffm.bindings.xen420.xen_arch_domainconfig.emulation_flags(
                org.xenffm.bindings.xen420.xen_domctl_createdomain.arch(cfg)));
        // and the 4.17 struct refuses a creation-time mode instead of writing it somewhere
        assertThrows(UnsupportedOnThisXenException.class, () -> XenDomains.fillCreateDomain(
                xen_domctl_createdomain.allocate(arena), L417, new DomainConfig(1, true, true, 2, 0), 1,
                XenVersion.V4_17));
        assertThrows(IllegalArgumentException.class, () -> XenDomains.fillCreateDomain(arena.allocate(l), l,
                new DomainConfig(1, true, true, 4, 0), 1, XenVersion.V4_20));
    }

    @Test
    void domainInfoDecodesFlagsCountsAndUnsignedDomid() {
        MemorySegment info = xen_domctl_getdomaininfo.allocate(arena);
        xen_domctl_getdomaininfo.domain(info, (short) 0x8001);
        // domctl.h: dying 1<<0, hvm_guest 1<<1, shutdown 1<<2, paused 1<<3, hap 1<<8
        xen_domctl_getdomaininfo.flags(info, (1 << 1) | (1 << 3) | (1 << 8));
        xen_domctl_getdomaininfo.tot_pages(info, 8209);
        xen_domctl_getdomaininfo.max_pages(info, 8448);
        xen_domctl_getdomaininfo.shr_pages(info, 2);
        xen_domctl_getdomaininfo.max_vcpu_id(info, 3);
        xen_domctl_getdomaininfo.nr_online_vcpus(info, 4);
        DomainInfo d = XenDomains.decodeDomainInfo(info);
        assertEquals(0x8001, d.domain().value());
        assertTrue(d.hvm() && d.paused() && d.hap());
        assertFalse(d.dying() || d.shutdown());
        assertEquals(8209, d.totPages());
        assertEquals(8448, d.maxPages());
        assertEquals(2, d.shrPages());
        assertEquals(4, d.vcpus());
        assertEquals(4, d.onlineVcpus());

        xen_domctl_getdomaininfo.flags(info, 1 | (1 << 2));
        xen_domctl_getdomaininfo.max_vcpu_id(info, -1); // XEN_INVALID_MAX_VCPU_ID
        DomainInfo dying = XenDomains.decodeDomainInfo(info);
        assertTrue(dying.dying() && dying.shutdown());
        assertFalse(dying.hvm() || dying.paused());
        assertEquals(0, dying.vcpus());
    }

    @Test
    void physinfoFindsVmxAndSvmInTheFeaturesetWords() {
        MemorySegment pi = xen_sysctl_physinfo.allocate(arena);
        xen_sysctl_physinfo.nr_cpus(pi, 2);
        xen_sysctl_physinfo.total_pages(pi, 262144);
        xen_sysctl_physinfo.free_pages(pi, 1000);
        xen_sysctl_physinfo.capabilities(pi, 1 | (1 << 3)); // PHYSCAP_hvm, PHYSCAP_hap
        xen_sysctl_physinfo.hw_cap(pi, 1, 1 << 5);           // CPUID.1:ECX.VMX
        PhysInfo p = XenDomains.decodePhysinfo(pi);
        assertEquals(new PhysInfo(2, 262144, 1000, true, true, true, false), p);
        xen_sysctl_physinfo.hw_cap(pi, 1, ~(1 << 5));
        xen_sysctl_physinfo.hw_cap(pi, 3, 1 << 2);           // CPUID.80000001:ECX.SVM
        xen_sysctl_physinfo.capabilities(pi, 1 << 1);         // PV only
        assertEquals(new PhysInfo(2, 262144, 1000, false, false, false, true), XenDomains.decodePhysinfo(pi));
    }

    @Test
    void memAccessMultiArraysUseTheRunningXensNumbering() {
        List<GfnAccess> entries = List.of(new GfnAccess(Gfn.of(0x300), MemAccess.RX),
                new GfnAccess(Gfn.of(0x301), MemAccess.N2RWX), new GfnAccess(Gfn.of(0x302), MemAccess.DEFAULT));
        var m417 = XenMemAccess.Multi.encode(entries, XenVersion.V4_17, arena);
        assertEquals(3, m417.count());
        // public/memory.h 4.17: rx = 5, n2rwx = 9, default = 10
        assertEquals(5, m417.access().get(JAVA_BYTE, 0));
        assertEquals(9, m417.access().get(JAVA_BYTE, 1));
        assertEquals(10, m417.access().get(JAVA_BYTE, 2));
        assertEquals(0x300, m417.gfns().getAtIndex(JAVA_LONG, 0));
        assertEquals(0x302, m417.gfns().getAtIndex(JAVA_LONG, 2));
        var m420 = XenMemAccess.Multi.encode(entries, XenVersion.V4_20, arena);
        assertEquals(11, m420.access().get(JAVA_BYTE, 2), "4.20 moved default to 11");
        assertThrows(UnsupportedOnThisXenException.class, () -> XenMemAccess.Multi.encode(
                List.of(new GfnAccess(Gfn.of(1), MemAccess.R_PW)), XenVersion.V4_17, arena));
        assertEquals(0, XenMemAccess.Multi.encode(List.of(), XenVersion.V4_17, arena).count());
    }

    @Test
    void suppressVeMultiReportsTheFirstFailingGfn() {
        assertEquals(SuppressVeResult.OK, XenAltp2m.suppressVeResult(0, 0));
        SuppressVeResult r = XenAltp2m.suppressVeResult(0x1234, -22); // Xen stores -EINVAL
        assertFalse(r.allApplied());
        assertEquals(Gfn.of(0x1234), r.firstErrorGfn().orElseThrow());
        assertEquals(Errno.EINVAL, r.firstError().orElseThrow());
    }

    @Test
    void domainIdsCrossAsUnsigned32() {
        assertEquals(0x7ff0, DomainId.SELF.value());
    }
}
