// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;
import org.xenffm.bindings.xen417.Xen;

/**
 * The monitor vm_event ring and the xc_monitor_* event switches. xc_monitor_enable maps the ring page into this
 * process and leaves unmapping to the caller; here the page is handed out as a 4096-byte segment of its own shared
 * arena, and monitorDisable (or close) first closes that arena — so a consumer still holding the segment gets an
 * IllegalStateException, never a SIGSEGV — and then munmaps the page.
 */
final class XenMonitor extends XenFamily {
    static final NativeFunction XC_MONITOR_ENABLE = NativeFunction.xenctrl("xc_monitor_enable",
            Xen::xc_monitor_enable$descriptor);
    static final NativeFunction XC_MONITOR_DISABLE = NativeFunction.xenctrl("xc_monitor_disable",
            Xen::xc_monitor_disable$descriptor);
    static final NativeFunction XC_MONITOR_RESUME = NativeFunction.xenctrl("xc_monitor_resume",
            Xen::xc_monitor_resume$descriptor);
    static final NativeFunction XC_MONITOR_GET_CAPABILITIES = NativeFunction.xenctrl("xc_monitor_get_capabilities",
            Xen::xc_monitor_get_capabilities$descriptor);
    static final NativeFunction XC_MONITOR_WRITE_CTRLREG = NativeFunction.xenctrl("xc_monitor_write_ctrlreg",
            Xen::xc_monitor_write_ctrlreg$descriptor);
    static final NativeFunction XC_MONITOR_MOV_TO_MSR = NativeFunction.xenctrl("xc_monitor_mov_to_msr",
            Xen::xc_monitor_mov_to_msr$descriptor);
    static final NativeFunction XC_MONITOR_SINGLESTEP = NativeFunction.xenctrl("xc_monitor_singlestep",
            Xen::xc_monitor_singlestep$descriptor);
    static final NativeFunction XC_MONITOR_SOFTWARE_BREAKPOINT = NativeFunction.xenctrl(
            "xc_monitor_software_breakpoint", Xen::xc_monitor_software_breakpoint$descriptor);
    static final NativeFunction XC_MONITOR_DESCRIPTOR_ACCESS = NativeFunction.xenctrl("xc_monitor_descriptor_access",
            Xen::xc_monitor_descriptor_access$descriptor);
    static final NativeFunction XC_MONITOR_GUEST_REQUEST = NativeFunction.xenctrl("xc_monitor_guest_request",
            Xen::xc_monitor_guest_request$descriptor);
    static final NativeFunction XC_MONITOR_INGUEST_PAGEFAULT = NativeFunction.xenctrl("xc_monitor_inguest_pagefault",
            Xen::xc_monitor_inguest_pagefault$descriptor);
    static final NativeFunction XC_MONITOR_DEBUG_EXCEPTIONS = NativeFunction.xenctrl("xc_monitor_debug_exceptions",
            Xen::xc_monitor_debug_exceptions$descriptor);
    static final NativeFunction XC_MONITOR_CPUID = NativeFunction.xenctrl("xc_monitor_cpuid",
            Xen::xc_monitor_cpuid$descriptor);
    static final NativeFunction XC_MONITOR_PRIVILEGED_CALL = NativeFunction.xenctrl("xc_monitor_privileged_call",
            Xen::xc_monitor_privileged_call$descriptor);
    static final NativeFunction XC_MONITOR_EMUL_UNIMPLEMENTED = NativeFunction.xenctrl(
            "xc_monitor_emul_unimplemented", Xen::xc_monitor_emul_unimplemented$descriptor);
    static final NativeFunction XC_MONITOR_VMEXIT = NativeFunction.xenctrl("xc_monitor_vmexit",
            Xen::xc_monitor_vmexit$descriptor);
    static final NativeFunction XC_MONITOR_EMULATE_EACH_REP = NativeFunction.xenctrl("xc_monitor_emulate_each_rep",
            Xen::xc_monitor_emulate_each_rep$descriptor);
    static final NativeFunction XC_MONITOR_IO = NativeFunction.xenctrlSince(new XenVersion(4, 18), "xc_monitor_io",
            org.xenffm.bindings.xen420.Xen::xc_monitor_io$descriptor);
    static final NativeFunction XC_VM_EVENT_GET_VERSION = NativeFunction.xenctrl("xc_vm_event_get_version",
            Xen::xc_vm_event_get_version$descriptor);

    private static final Logger LOG = LoggerFactory.getLogger(XenMonitor.class);

    private final Downcall enable = bind(XC_MONITOR_ENABLE), disable = bind(XC_MONITOR_DISABLE),
            resume = bind(XC_MONITOR_RESUME), capabilities = bind(XC_MONITOR_GET_CAPABILITIES),
            writeCtrlreg = bind(XC_MONITOR_WRITE_CTRLREG), movToMsr = bind(XC_MONITOR_MOV_TO_MSR),
            singlestep = bind(XC_MONITOR_SINGLESTEP), softwareBreakpoint = bind(XC_MONITOR_SOFTWARE_BREAKPOINT),
            descriptorAccess = bind(XC_MONITOR_DESCRIPTOR_ACCESS), guestRequest = bind(XC_MONITOR_GUEST_REQUEST),
            inguestPagefault = bind(XC_MONITOR_INGUEST_PAGEFAULT), debugExceptions = bind(XC_MONITOR_DEBUG_EXCEPTIONS),
            cpuid = bind(XC_MONITOR_CPUID), privilegedCall = bind(XC_MONITOR_PRIVILEGED_CALL),
            emulUnimplemented = bind(XC_MONITOR_EMUL_UNIMPLEMENTED), vmexit = bind(XC_MONITOR_VMEXIT),
            emulateEachRep = bind(XC_MONITOR_EMULATE_EACH_REP), vmEventGetVersion = bind(XC_VM_EVENT_GET_VERSION),
            io = bind(XC_MONITOR_IO);
    private final Downcall munmap = LibC.munmap;

    /** A mapped ring page: the arena that scopes the segment handed out, and the address to munmap. */
    private record Ring(Arena arena, MemorySegment mapping) {}

    private final Map<DomainId, Ring> rings = new ConcurrentHashMap<>();

    /** Run by XenHypervisor.close before any handle goes: the consumers of these rings tear down first. */
    final org.xenffm.api.CloseHooks closeHooks = new org.xenffm.api.CloseHooks();

    XenMonitor(XcInterface xc) { super(xc); }

    int vmEventGetVersion() { return count(vmEventGetVersion); }

    MonitorRing enable(DomainId d) {
        try {
            Scratch a = Scratch.get();
            MemorySegment port = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            MemorySegment page = (MemorySegment) enable.handle().invokeExact(slot, xc.xch(), d.value(), port);
            if (page.equals(MemorySegment.NULL)) throw XcInterface.fail("xc_monitor_enable", d, null, null, slot);
            Arena ringArena = Arena.ofShared();
            MemorySegment mapping = MemorySegment.ofAddress(page.address());
            Ring previous = rings.put(d, new Ring(ringArena, mapping));
            if (previous != null) release(d, previous); // Xen re-enabled a ring we had mapped: drop the stale one
            return new MonitorRing(d, mapping.reinterpret(MonitorRing.PAGE_SIZE, ringArena, null),
                    port.get(JAVA_INT, 0), closeHooks);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** xc_monitor_disable; the page is unmapped whatever Xen answers (a dying domain gives ESRCH). */
    void disable(DomainId d) {
        try {
            dom(disable, d);
        } finally {
            Ring r = rings.remove(d);
            if (r != null) release(d, r);
        }
    }

    private void release(DomainId d, Ring r) {
        r.arena().close();
        try {
            int rc = (int) munmap.handle().invokeExact(Downcall.errnoSlot(), r.mapping(), (long) MonitorRing.PAGE_SIZE);
            if (rc < 0) LOG.warn("munmap of the monitor ring page of {} failed", d);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** Disables every ring this handle enabled (best effort: the handle is going away). */
    void closeAll() {
        for (DomainId d : Set.copyOf(rings.keySet())) {
            try {
                disable(d);
            } catch (XenException e) {
                LOG.warn("monitor ring of {} left enabled at close: {}", d, e.getMessage());
            }
        }
    }

    void resume(DomainId d) { dom(resume, d); }

    Set<MonitorEvent> capabilities(DomainId d) {
        try {
            Scratch a = Scratch.get();
            MemorySegment caps = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) capabilities.handle().invokeExact(slot, xc.xch(), d.value(), caps);
            if (rc < 0) throw XcInterface.fail("xc_monitor_get_capabilities", d, null, null, slot);
            return MonitorEvent.fromMask(Integer.toUnsignedLong(caps.get(JAVA_INT, 0)));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void writeCtrlreg(DomainId d, ControlRegister reg, boolean enable, boolean sync, long bitmask,
                      boolean onChangeOnly) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) writeCtrlreg.handle().invokeExact(slot, xc.xch(), d.value(), (short) reg.index(), enable, sync,
                    bitmask, onChangeOnly);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_monitor_write_ctrlreg", d, null, null, slot);
    }

    void movToMsr(DomainId d, int msr, boolean enable, boolean onChangeOnly) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) movToMsr.handle().invokeExact(slot, xc.xch(), d.value(), msr, enable, onChangeOnly);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_monitor_mov_to_msr", d, null, null, slot);
    }

    void singlestep(DomainId d, boolean enable) { domBool(singlestep, d, enable); }

    void softwareBreakpoint(DomainId d, boolean enable) { domBool(softwareBreakpoint, d, enable); }

    void descriptorAccess(DomainId d, boolean enable) { domBool(descriptorAccess, d, enable); }

    void guestRequest(DomainId d, boolean enable, boolean sync, boolean allowUserspace) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) guestRequest.handle().invokeExact(slot, xc.xch(), d.value(), enable, sync, allowUserspace);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_monitor_guest_request", d, null, null, slot);
    }

    void inguestPagefault(DomainId d, boolean disable) { domBool(inguestPagefault, d, disable); }

    void debugExceptions(DomainId d, boolean enable, boolean sync) { domBool2(debugExceptions, d, enable, sync); }

    void cpuid(DomainId d, boolean enable) { domBool(cpuid, d, enable); }

    void privilegedCall(DomainId d, boolean enable) { domBool(privilegedCall, d, enable); }

    void emulUnimplemented(DomainId d, boolean enable) { domBool(emulUnimplemented, d, enable); }

    void vmexit(DomainId d, boolean enable, boolean sync) { domBool2(vmexit, d, enable, sync); }

    void emulateEachRep(DomainId d, boolean enable) { domBool(emulateEachRep, d, enable); }

    /** xc_monitor_io appeared in Xen 4.18: libxenctrl 4.17 does not export it. */
    void io(DomainId d, boolean enable) {
        if (!XC_MONITOR_IO.existsIn(xc.lib.abi()) || !xc.version.atLeast(4, 18))
            throw new UnsupportedOnThisXenException("xc_monitor_io", xc.version, "4.18");
        domBool(io, d, enable);
    }
}
