// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.bindings.xen417.Xen;

/** altp2m views: xc_altp2m_*. Access rights cross as {@link MemAccess#toXen}/{@link MemAccess#fromXen} numbers. */
final class XenAltp2m extends XenFamily {
    static final NativeFunction XC_ALTP2M_GET_DOMAIN_STATE = NativeFunction.xenctrl("xc_altp2m_get_domain_state",
            Xen::xc_altp2m_get_domain_state$descriptor);
    static final NativeFunction XC_ALTP2M_SET_DOMAIN_STATE = NativeFunction.xenctrl("xc_altp2m_set_domain_state",
            Xen::xc_altp2m_set_domain_state$descriptor);
    static final NativeFunction XC_ALTP2M_SET_VCPU_ENABLE_NOTIFY = NativeFunction.xenctrl(
            "xc_altp2m_set_vcpu_enable_notify", Xen::xc_altp2m_set_vcpu_enable_notify$descriptor);
    static final NativeFunction XC_ALTP2M_SET_VCPU_DISABLE_NOTIFY = NativeFunction.xenctrl(
            "xc_altp2m_set_vcpu_disable_notify", Xen::xc_altp2m_set_vcpu_disable_notify$descriptor);
    static final NativeFunction XC_ALTP2M_CREATE_VIEW = NativeFunction.xenctrl("xc_altp2m_create_view",
            Xen::xc_altp2m_create_view$descriptor);
    static final NativeFunction XC_ALTP2M_DESTROY_VIEW = NativeFunction.xenctrl("xc_altp2m_destroy_view",
            Xen::xc_altp2m_destroy_view$descriptor);
    static final NativeFunction XC_ALTP2M_SWITCH_TO_VIEW = NativeFunction.xenctrl("xc_altp2m_switch_to_view",
            Xen::xc_altp2m_switch_to_view$descriptor);
    static final NativeFunction XC_ALTP2M_GET_VCPU_P2M_IDX = NativeFunction.xenctrl("xc_altp2m_get_vcpu_p2m_idx",
            Xen::xc_altp2m_get_vcpu_p2m_idx$descriptor);
    static final NativeFunction XC_ALTP2M_SET_VISIBILITY = NativeFunction.xenctrl("xc_altp2m_set_visibility",
            Xen::xc_altp2m_set_visibility$descriptor);
    static final NativeFunction XC_ALTP2M_SET_SUPPRESS_VE = NativeFunction.xenctrl("xc_altp2m_set_suppress_ve",
            Xen::xc_altp2m_set_suppress_ve$descriptor);
    static final NativeFunction XC_ALTP2M_SET_SUPRESS_VE_MULTI = NativeFunction.xenctrl(
            "xc_altp2m_set_supress_ve_multi", Xen::xc_altp2m_set_supress_ve_multi$descriptor);
    static final NativeFunction XC_ALTP2M_GET_SUPPRESS_VE = NativeFunction.xenctrl("xc_altp2m_get_suppress_ve",
            Xen::xc_altp2m_get_suppress_ve$descriptor);
    static final NativeFunction XC_ALTP2M_SET_MEM_ACCESS = NativeFunction.xenctrl("xc_altp2m_set_mem_access",
            Xen::xc_altp2m_set_mem_access$descriptor);
    static final NativeFunction XC_ALTP2M_SET_MEM_ACCESS_MULTI = NativeFunction.xenctrl(
            "xc_altp2m_set_mem_access_multi", Xen::xc_altp2m_set_mem_access_multi$descriptor);
    static final NativeFunction XC_ALTP2M_GET_MEM_ACCESS = NativeFunction.xenctrl("xc_altp2m_get_mem_access",
            Xen::xc_altp2m_get_mem_access$descriptor);
    static final NativeFunction XC_ALTP2M_CHANGE_GFN = NativeFunction.xenctrl("xc_altp2m_change_gfn",
            Xen::xc_altp2m_change_gfn$descriptor);

    private final Downcall getDomainState = bind(XC_ALTP2M_GET_DOMAIN_STATE),
            setDomainState = bind(XC_ALTP2M_SET_DOMAIN_STATE), enableNotify = bind(XC_ALTP2M_SET_VCPU_ENABLE_NOTIFY),
            disableNotify = bind(XC_ALTP2M_SET_VCPU_DISABLE_NOTIFY), createView = bind(XC_ALTP2M_CREATE_VIEW),
            destroyView = bind(XC_ALTP2M_DESTROY_VIEW), switchToView = bind(XC_ALTP2M_SWITCH_TO_VIEW),
            getVcpuP2mIdx = bind(XC_ALTP2M_GET_VCPU_P2M_IDX), setVisibility = bind(XC_ALTP2M_SET_VISIBILITY),
            setSuppressVe = bind(XC_ALTP2M_SET_SUPPRESS_VE), setSuppressVeMulti = bind(XC_ALTP2M_SET_SUPRESS_VE_MULTI),
            getSuppressVe = bind(XC_ALTP2M_GET_SUPPRESS_VE), setMemAccess = bind(XC_ALTP2M_SET_MEM_ACCESS),
            setMemAccessMulti = bind(XC_ALTP2M_SET_MEM_ACCESS_MULTI), getMemAccess = bind(XC_ALTP2M_GET_MEM_ACCESS),
            changeGfn = bind(XC_ALTP2M_CHANGE_GFN);

    XenAltp2m(XcInterface xc) { super(xc); }

    boolean getDomainState(DomainId d) {
        try {
            Scratch a = Scratch.get();
            MemorySegment state = a.allocate(JAVA_BOOLEAN);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) getDomainState.handle().invokeExact(slot, xc.xch(), d.value(), state);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_get_domain_state", d, null, null, slot);
            return state.get(JAVA_BOOLEAN, 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void setDomainState(DomainId d, boolean active) { domBool(setDomainState, d, active); }

    void setVcpuEnableNotify(DomainId d, VcpuId vcpu, Gfn veInfo) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) enableNotify.handle().invokeExact(slot, xc.xch(), d.value(), vcpu.value(), veInfo.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_set_vcpu_enable_notify", d, veInfo, null, slot);
    }

    void setVcpuDisableNotify(DomainId d, VcpuId vcpu) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) disableNotify.handle().invokeExact(slot, xc.xch(), d.value(), vcpu.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_set_vcpu_disable_notify", d, null, null, slot);
    }

    ViewId createView(DomainId d, MemAccess defaultAccess) {
        int access = defaultAccess.toXen(xc.version);
        try {
            Scratch a = Scratch.get();
            MemorySegment view = a.allocate(JAVA_SHORT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) createView.handle().invokeExact(slot, xc.xch(), d.value(), access, view);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_create_view", d, null, null, slot);
            return ViewId.of(Short.toUnsignedInt(view.get(JAVA_SHORT, 0)));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void destroyView(DomainId d, ViewId v) { domView(destroyView, d, v); }

    void switchToView(DomainId d, ViewId v) { domView(switchToView, d, v); }

    ViewId getVcpuP2mIdx(DomainId d, VcpuId vcpu) {
        try {
            Scratch a = Scratch.get();
            MemorySegment idx = a.allocate(JAVA_SHORT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) getVcpuP2mIdx.handle().invokeExact(slot, xc.xch(), d.value(), vcpu.value(), idx);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_get_vcpu_p2m_idx", d, null, null, slot);
            return ViewId.of(Short.toUnsignedInt(idx.get(JAVA_SHORT, 0)));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void setVisibility(DomainId d, ViewId v, boolean visible) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) setVisibility.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(), visible);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_set_visibility", d, null, v, slot);
    }

    void setSuppressVe(DomainId d, ViewId v, Gfn gfn, boolean suppress) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) setSuppressVe.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(), gfn.value(),
                    suppress);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_set_suppress_ve", d, gfn, v, slot);
    }

    /** Per-gfn failures do not fail the call: Xen reports the first one in (error_gfn, error_code). */
    SuppressVeResult setSuppressVeMulti(DomainId d, ViewId v, Gfn first, Gfn last, boolean suppress) {
        try {
            Scratch a = Scratch.get();
            MemorySegment errorGfn = a.allocate(JAVA_LONG);
            MemorySegment errorCode = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) setSuppressVeMulti.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(),
                    first.value(), last.value(), suppress, errorGfn, errorCode);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_set_supress_ve_multi", d, first, v, slot);
            return suppressVeResult(errorGfn.get(JAVA_LONG, 0), errorCode.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** error_code is Xen's negative errno (hvm.c do_altp2m_op: first_error = rc) or 0. */
    static SuppressVeResult suppressVeResult(long errorGfn, int errorCode) {
        if (errorCode == 0) return SuppressVeResult.OK;
        return new SuppressVeResult(Optional.of(Gfn.of(errorGfn)), Optional.of(Errno.of(errorCode)));
    }

    boolean getSuppressVe(DomainId d, ViewId v, Gfn gfn) {
        try {
            Scratch a = Scratch.get();
            MemorySegment sve = a.allocate(JAVA_BOOLEAN);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) getSuppressVe.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(),
                    gfn.value(), sve);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_get_suppress_ve", d, gfn, v, slot);
            return sve.get(JAVA_BOOLEAN, 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void setMemAccess(DomainId d, ViewId v, Gfn gfn, MemAccess access) {
        int xen = access.toXen(xc.version);
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) setMemAccess.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(), gfn.value(),
                    xen);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_set_mem_access", d, gfn, v, slot);
    }

    void setMemAccessMulti(DomainId d, ViewId v, List<GfnAccess> entries) {
        try (Arena a = Arena.ofConfined()) {
            XenMemAccess.Multi m = XenMemAccess.Multi.encode(entries, xc.version, a);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) setMemAccessMulti.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(),
                    m.access(), m.gfns(), m.count());
            if (rc < 0) throw XcInterface.fail("xc_altp2m_set_mem_access_multi", d, null, v, slot);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    MemAccess getMemAccess(DomainId d, ViewId v, Gfn gfn) {
        try {
            Scratch a = Scratch.get();
            MemorySegment access = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) getMemAccess.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(),
                    gfn.value(), access);
            if (rc < 0) throw XcInterface.fail("xc_altp2m_get_mem_access", d, gfn, v, slot);
            return MemAccess.fromXen(access.get(JAVA_INT, 0), xc.version);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void changeGfn(DomainId d, ViewId v, Gfn oldGfn, Gfn newGfn) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) changeGfn.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value(), oldGfn.value(),
                    newGfn.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_altp2m_change_gfn", d, oldGfn, v, slot);
    }

    /** {@code int f(xc_interface *, uint32_t domid, uint16_t view)}. */
    private void domView(Downcall c, DomainId d, ViewId v) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch(), d.value(), (short) v.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(c.name(), d, null, v, slot);
    }
}
