// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmContext;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.api.XenException;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.hvm_hw_cpu;

/** vCPU state through HVM save records: xc_domain_hvm_getcontext_partial, xc_domain_hvm_getcontext, _setcontext. */
final class XenHvmContext extends XenFamily {
    static final NativeFunction XC_DOMAIN_HVM_GETCONTEXT_PARTIAL = NativeFunction.xenctrl(
            "xc_domain_hvm_getcontext_partial", Xen::xc_domain_hvm_getcontext_partial$descriptor);
    static final NativeFunction XC_DOMAIN_HVM_GETCONTEXT = NativeFunction.xenctrl("xc_domain_hvm_getcontext",
            Xen::xc_domain_hvm_getcontext$descriptor);
    static final NativeFunction XC_DOMAIN_HVM_SETCONTEXT = NativeFunction.xenctrl("xc_domain_hvm_setcontext",
            Xen::xc_domain_hvm_setcontext$descriptor);

    private final Downcall partial = bind(XC_DOMAIN_HVM_GETCONTEXT_PARTIAL), get = bind(XC_DOMAIN_HVM_GETCONTEXT),
            set = bind(XC_DOMAIN_HVM_SETCONTEXT);

    XenHvmContext(XcInterface xc) { super(xc); }

    X86Registers getcontextPartial(DomainId d, VcpuId vcpu) {
        if ((vcpu.value() & ~0xffff) != 0) throw XenException.of("xc_domain_hvm_getcontext_partial", d, null, null, Errno.ENOENT.value());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = hvm_hw_cpu.allocate(a);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) partial.handle().invokeExact(slot, xc.xch(), d.value(), (short) HvmContext.CODE_CPU,
                    (short) vcpu.value(), buf, (int) buf.byteSize());
            if (rc < 0) throw XcInterface.fail("xc_domain_hvm_getcontext_partial", d, null, null, slot);
            return HvmContext.decodeCpu(buf.toArray(JAVA_BYTE));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    HvmContext getcontext(DomainId d) {
        // the size query (NULL buffer) first, as xc's callers do; the context may grow between the calls only if a
        // vCPU comes up, which the retry absorbs
        for (int attempt = 0; ; attempt++) {
            int size = call(get, "xc_domain_hvm_getcontext", d, MemorySegment.NULL, 0);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(size, 8);
                MemorySegment slot = Downcall.errnoSlot();
                int rc = (int) get.handle().invokeExact(slot, xc.xch(), d.value(), buf, size);
                if (rc < 0) {
                    if (attempt < 2 && Errno.ENOSPC.value() == Downcall.errno(slot)) continue;
                    throw XcInterface.fail("xc_domain_hvm_getcontext", d, null, null, slot);
                }
                return HvmContext.parse(buf.asSlice(0, rc).toArray(JAVA_BYTE));
            } catch (XenException e) {
                throw e;
            } catch (Throwable t) {
                throw Downcall.unexpected(t);
            }
        }
    }

    void setcontext(DomainId d, HvmContext c) {
        byte[] blob = c.toBytes();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(blob.length, 1), 8);
            MemorySegment.copy(blob, 0, buf, JAVA_BYTE, 0, blob.length);
            call(set, "xc_domain_hvm_setcontext", d, buf, blob.length);
        }
    }

    private int call(Downcall c, String name, DomainId d, MemorySegment buf, int size) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch(), d.value(), buf, size);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(name, d, null, null, slot);
        return rc;
    }
}
