// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.VcpuId;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.xen_domctl_createdomain;
import org.xenffm.bindings.xen417.xen_domctl_getdomaininfo;
import org.xenffm.bindings.xen417.xen_sysctl_physinfo;

/** Host and domain calls: xc_physinfo, xc_domain_getinfolist, xc_domain_create, pause/unpause/destroy, HVM params,
 *  event injection (xc_hvm_inject_trap). */
final class XenDomains extends XenFamily {
    static final NativeFunction XC_PHYSINFO = NativeFunction.xenctrl("xc_physinfo", Xen::xc_physinfo$descriptor);
    static final NativeFunction XC_DOMAIN_GETINFOLIST = NativeFunction.xenctrl("xc_domain_getinfolist",
            Xen::xc_domain_getinfolist$descriptor);
    static final NativeFunction XC_DOMAIN_CREATE = NativeFunction.xenctrl("xc_domain_create",
            Xen::xc_domain_create$descriptor);
    static final NativeFunction XC_DOMAIN_MAX_VCPUS = NativeFunction.xenctrl("xc_domain_max_vcpus",
            Xen::xc_domain_max_vcpus$descriptor);
    static final NativeFunction XC_DOMAIN_DESTROY = NativeFunction.xenctrl("xc_domain_destroy",
            Xen::xc_domain_destroy$descriptor);
    static final NativeFunction XC_DOMAIN_PAUSE = NativeFunction.xenctrl("xc_domain_pause",
            Xen::xc_domain_pause$descriptor);
    static final NativeFunction XC_DOMAIN_UNPAUSE = NativeFunction.xenctrl("xc_domain_unpause",
            Xen::xc_domain_unpause$descriptor);
    static final NativeFunction XC_DOMAIN_MAXIMUM_GPFN = NativeFunction.xenctrl("xc_domain_maximum_gpfn",
            Xen::xc_domain_maximum_gpfn$descriptor);
    static final NativeFunction XC_HVM_PARAM_GET = NativeFunction.xenctrl("xc_hvm_param_get",
            Xen::xc_hvm_param_get$descriptor);
    static final NativeFunction XC_HVM_PARAM_SET = NativeFunction.xenctrl("xc_hvm_param_set",
            Xen::xc_hvm_param_set$descriptor);
    static final NativeFunction XC_HVM_INJECT_TRAP = NativeFunction.xenctrl("xc_hvm_inject_trap",
            Xen::xc_hvm_inject_trap$descriptor);
    static final NativeFunction XC_DOMAIN_SET_ACCESS_REQUIRED = NativeFunction.xenctrl(
            "xc_domain_set_access_required", Xen::xc_domain_set_access_required$descriptor);

    /** KF/x's fork-child emulation: only the local APIC (a PVH-style HVM domain; fork copies the parent's state). */
    static final int DEFAULT_X86_EMULATION = Xen.XEN_X86_EMU_LAPIC();

    private final Downcall physinfo = bind(XC_PHYSINFO), getinfolist = bind(XC_DOMAIN_GETINFOLIST),
            create = bind(XC_DOMAIN_CREATE), maxVcpus = bind(XC_DOMAIN_MAX_VCPUS),
            destroy = bind(XC_DOMAIN_DESTROY), pause = bind(XC_DOMAIN_PAUSE), unpause = bind(XC_DOMAIN_UNPAUSE),
            maximumGpfn = bind(XC_DOMAIN_MAXIMUM_GPFN), paramGet = bind(XC_HVM_PARAM_GET),
            paramSet = bind(XC_HVM_PARAM_SET), injectTrap = bind(XC_HVM_INJECT_TRAP), accessRequired = bind(XC_DOMAIN_SET_ACCESS_REQUIRED);

    XenDomains(XcInterface xc) { super(xc); }

    PhysInfo physinfo() {
        try {
            Scratch a = Scratch.get();
            MemorySegment info = xen_sysctl_physinfo.allocate(a);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) physinfo.handle().invokeExact(slot, xc.xch(), info);
            if (rc < 0) throw XcInterface.fail("xc_physinfo", null, null, null, slot);
            return decodePhysinfo(info);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** hw_cap holds Xen's featureset words: word 1 = CPUID.1:ECX (VMX is bit 5), word 3 = 0x80000001:ECX (SVM bit 2). */
    static PhysInfo decodePhysinfo(MemorySegment info) {
        int caps = xen_sysctl_physinfo.capabilities(info);
        boolean vmx = (xen_sysctl_physinfo.hw_cap(info, 1) & (1 << 5)) != 0;
        boolean svm = (xen_sysctl_physinfo.hw_cap(info, 3) & (1 << 2)) != 0;
        return new PhysInfo(xen_sysctl_physinfo.nr_cpus(info), xen_sysctl_physinfo.total_pages(info),
                xen_sysctl_physinfo.free_pages(info), (caps & Xen.XEN_SYSCTL_PHYSCAP_hvm()) != 0,
                (caps & Xen.XEN_SYSCTL_PHYSCAP_hap()) != 0, vmx, svm);
    }

    /**
     * xc_domain_getinfolist(first = domain, max = 1): it reports the first domain at or after the id, so a
     * different id (or none) means the domain does not exist — ESRCH, as xc_domain_getinfo_single says on 4.18+.
     */
    DomainInfo getinfo(DomainId domain) {
        try {
            Scratch a = Scratch.get();
            MemorySegment info = xen_domctl_getdomaininfo.allocate(a);
            MemorySegment slot = Downcall.errnoSlot();
            int n = (int) getinfolist.handle().invokeExact(slot, xc.xch(), domain.value(), 1, info);
            if (n < 0) throw XcInterface.fail("xc_domain_getinfolist", domain, null, null, slot);
            if (n == 0 || Short.toUnsignedInt(xen_domctl_getdomaininfo.domain(info)) != domain.value())
                throw XenException.of("xc_domain_getinfolist", domain, Errno.ESRCH);
            return decodeDomainInfo(info);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** Entries fetched per xc_domain_getinfolist call: libxc bounces the whole array through a hypercall buffer, so
     *  "every domain" (max = 1 << 15) in one call would allocate and bounce ~4 MB; batches keep it at ~32 KB. */
    static final int GETINFOLIST_BATCH = 256;

    /** xc_domain_getinfolist(first, max): the domains with id ≥ first, in id order, at most max. */
    List<DomainInfo> getinfolist(DomainId first, int max) {
        if (max < 0) throw new IllegalArgumentException("max must not be negative: " + max);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment infos = xen_domctl_getdomaininfo.allocateArray(Math.clamp(max, 1, GETINFOLIST_BATCH), a);
            MemorySegment slot = Downcall.errnoSlot();
            return inBatches(first, max, GETINFOLIST_BATCH, (from, n) -> {
                int got;
                try {
                    got = (int) getinfolist.handle().invokeExact(slot, xc.xch(), from.value(), n, infos);
                } catch (Throwable t) {
                    throw Downcall.unexpected(t);
                }
                if (got < 0) throw XcInterface.fail("xc_domain_getinfolist", from, null, null, slot);
                List<DomainInfo> out = new ArrayList<>(got);
                for (int i = 0; i < Math.min(got, n); i++)
                    out.add(decodeDomainInfo(xen_domctl_getdomaininfo.asSlice(infos, i)));
                return out;
            });
        }
    }

    /** One xc_domain_getinfolist call: up to {@code max} domains with id ≥ {@code from}, in id order. */
    interface InfoBatch {
        List<DomainInfo> fetch(DomainId from, int max);
    }

    /**
     * Up to {@code max} domains with id ≥ {@code first}, fetched {@code batch} at a time: a full batch continues
     * after its last id (sysctl.c XEN_SYSCTL_getdomaininfolist walks ids upwards from first_domain), a short one ends
     * the list.
     */
    static List<DomainInfo> inBatches(DomainId first, int max, int batch, InfoBatch call) {
        List<DomainInfo> out = new ArrayList<>();
        int from = first.value();
        while (out.size() < max && from < DomainId.SELF.value()) {
            int want = Math.min(batch, max - out.size());
            List<DomainInfo> got = call.fetch(DomainId.of(from), want);
            out.addAll(got);
            if (got.size() < want) break;
            from = got.getLast().domain().value() + 1;
        }
        return out;
    }

    static DomainInfo decodeDomainInfo(MemorySegment info) {
        int f = xen_domctl_getdomaininfo.flags(info);
        return new DomainInfo(DomainId.of(Short.toUnsignedInt(xen_domctl_getdomaininfo.domain(info))),
                (f & Xen.XEN_DOMINF_dying()) != 0, (f & Xen.XEN_DOMINF_shutdown()) != 0,
                (f & Xen.XEN_DOMINF_paused()) != 0, (f & Xen.XEN_DOMINF_hvm_guest()) != 0,
                (f & Xen.XEN_DOMINF_hap()) != 0, xen_domctl_getdomaininfo.tot_pages(info),
                xen_domctl_getdomaininfo.max_pages(info), xen_domctl_getdomaininfo.shr_pages(info),
                xen_domctl_getdomaininfo.max_vcpu_id(info), xen_domctl_getdomaininfo.nr_online_vcpus(info));
    }

    /**
     * xc_domain_create with Xen choosing the id, then xc_domain_max_vcpus (which must repeat the creation value,
     * domctl.h). The new domain starts paused by the toolstack.
     */
    DomainId create(DomainConfig config, int x86EmulationFlags) {
        try {
            Scratch a = Scratch.get();
            GroupLayout layout = createDomainLayout(xc.lib.abi());
            MemorySegment cfg = a.allocate(layout);
            fillCreateDomain(cfg, layout, config, x86EmulationFlags, xc.version);
            MemorySegment domid = a.allocate(JAVA_INT); // 0 = let Xen allocate
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) create.handle().invokeExact(slot, xc.xch(), domid, cfg);
            if (rc < 0) throw XcInterface.fail("xc_domain_create", null, null, null, slot);
            DomainId d = DomainId.of(domid.get(JAVA_INT, 0));
            rc = (int) maxVcpus.handle().invokeExact(slot, xc.xch(), d.value(), config.maxVcpus());
            if (rc < 0) {
                XenException e = XcInterface.fail("xc_domain_max_vcpus", d, null, null, slot);
                try {
                    destroy(d); // do not leave a half-made domain behind
                } catch (XenException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return d;
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /**
     * The release's struct xen_domctl_createdomain: libxenctrl copies its own sizeof, and 4.19 inserted
     * altp2m_opts before vmtrace_size (bindings/DIFF-4.17-4.20.md). The other structs used here
     * (xen_domctl_getdomaininfo, xen_sysctl_physinfo) are identical in 4.17 and 4.20.
     */
    static GroupLayout createDomainLayout(XenVersion abi) {
        return abi.atLeast(4, 19) ? org.xenffm.bindings.xen420.xen_domctl_createdomain.layout()
                : xen_domctl_createdomain.layout();
    }

    /**
     * struct xen_domctl_createdomain as KF/x fills it for fork children: HVM|HAP|oos_off, max_vcpus, a
     * 1023-port event-channel limit, default grant/maptrack frames (-1) and grant table v1; on 4.19+ the altp2m
     * mode (XEN_DOMCTL_ALTP2M_* has HVM_PARAM_ALTP2M's numbering). Fields are written by name through the
     * release's layout. The segment must be zeroed (allocate() zeroes).
     */
    static void fillCreateDomain(MemorySegment cfg, GroupLayout layout, DomainConfig c, int x86EmulationFlags,
                                 XenVersion running) {
        if (c.maxVcpus() < 1) throw new IllegalArgumentException("maxVcpus must be at least 1: " + c.maxVcpus());
        if (c.hap() && !c.hvm()) throw new IllegalArgumentException("HAP needs an HVM domain");
        c.checkExpressibleOn(running);   // the mode's range is checked by DomainConfig itself
        boolean hasAltp2m = layout.memberLayouts().stream().anyMatch(m -> m.name().equals(Optional.of("altp2m_opts")));
        if (c.altp2mMode() != 0 && !hasAltp2m)
            throw new UnsupportedOnThisXenException("altp2m mode at domain creation", running, "4.19");
        if (c.maxPages() != 0)
            throw new IllegalArgumentException("maxPages: xc_domain_setmaxmem is not bound; "
                    + "a fork child takes the parent's max_pages from xc_memshr_fork");
        int flags = Xen.XEN_DOMCTL_CDF_oos_off();
        if (c.hvm()) flags |= Xen.XEN_DOMCTL_CDF_hvm();
        if (c.hap()) flags |= Xen.XEN_DOMCTL_CDF_hap();
        setInt(cfg, layout, flags, "flags");
        setInt(cfg, layout, c.maxVcpus(), "max_vcpus");
        setInt(cfg, layout, 1023, "max_evtchn_port");
        setInt(cfg, layout, -1, "max_grant_frames");
        setInt(cfg, layout, -1, "max_maptrack_frames");
        setInt(cfg, layout, 1, "grant_opts"); // XEN_DOMCTL_GRANT_version(1)
        if (hasAltp2m) setInt(cfg, layout, (int) c.altp2mMode(), "altp2m_opts");
        setInt(cfg, layout, c.hvm() ? x86EmulationFlags : 0, "arch", "emulation_flags");
    }

    private static void setInt(MemorySegment s, GroupLayout l, int value, String... path) {
        MemoryLayout.PathElement[] p = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) p[i] = MemoryLayout.PathElement.groupElement(path[i]);
        s.set(JAVA_INT, l.byteOffset(p), value);
    }

    void destroy(DomainId d) { dom(destroy, d); }

    void pause(DomainId d) { dom(pause, d); }

    void unpause(DomainId d) { dom(unpause, d); }

    long maximumGpfn(DomainId d) {
        try {
            Scratch a = Scratch.get();
            MemorySegment out = a.allocate(JAVA_LONG);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) maximumGpfn.handle().invokeExact(slot, xc.xch(), d.value(), out);
            if (rc < 0) throw XcInterface.fail("xc_domain_maximum_gpfn", d, null, null, slot);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    long hvmParamGet(DomainId d, HvmParam p) {
        try {
            Scratch a = Scratch.get();
            MemorySegment out = a.allocate(JAVA_LONG);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) paramGet.handle().invokeExact(slot, xc.xch(), d.value(), p.index(), out);
            if (rc < 0) throw XcInterface.fail("xc_hvm_param_get", d, null, null, slot);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void hvmParamSet(DomainId d, HvmParam p, long value) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) paramSet.handle().invokeExact(slot, xc.xch(), d.value(), p.index(), value);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_hvm_param_set", d, null, null, slot);
    }

    /** xenctrl_compat.h's wrapper of xendevicemodel_inject_event (XEN_DMOP_inject_event). */
    void hvmInjectTrap(DomainId d, VcpuId vcpu, int vector, int type, int errorCode, int insnLen, long cr2) {
        Hypervisor.checkInjectTrap(vector, type, insnLen);
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) injectTrap.handle().invokeExact(slot, xc.xch(), d.value(), vcpu.value(), (byte) vector,
                    (byte) type, errorCode, (byte) insnLen, cr2);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_hvm_inject_trap", d, null, null, slot);
    }

    void setAccessRequired(DomainId d, boolean required) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) accessRequired.handle().invokeExact(slot, xc.xch(), d.value(), required ? 1 : 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_domain_set_access_required", d, null, null, slot);
    }
}
