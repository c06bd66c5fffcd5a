// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.GrantRef;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenVersion;

/**
 * Close semantics on a real (XC_OPENFLAG_DUMMY) libxenctrl handle: no hypercall is possible through it, but
 * xc_interface_open/close are the real ones, and after close every Hypervisor method must refuse with
 * IllegalStateException before reaching C.
 */
class LifecycleTest {

    static XenHypervisor dummy() {
        XenLibrary lib = XenLibrary.load();
        return new XenHypervisor(lib, XcInterface.dummy(lib, XenLog.slf4j(), XenVersion.V4_17));
    }

    @Test
    void closeIsIdempotent() {
        XenHypervisor xen = dummy();
        xen.close();
        xen.close();
        assertTrue(xen.toString().contains("closed"), xen.toString());
    }

    @Test
    void everyMethodAfterCloseThrowsIllegalState() throws Exception {
        XenHypervisor xen = dummy();
        xen.close();
        List<String> checked = new ArrayList<>();
        for (Method m : Hypervisor.class.getMethods()) {
            if (m.getName().equals("close") || Modifier.isStatic(m.getModifiers())) continue;
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) args[i] = sample(types[i]);
            try {
                m.invoke(xen, args);
                fail(m.getName() + " did not throw after close");
            } catch (InvocationTargetException e) {
                assertInstanceOf(IllegalStateException.class, e.getCause(), m.getName());
            }
            checked.add(m.getName());
        }
        // every instance method but close (static helpers such as checkInjectTrap are not calls into Xen)
        assertEquals(java.util.Arrays.stream(Hypervisor.class.getMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers())).count() - 1, checked.size());
        assertTrue(checked.contains("hvmInjectTrap"), checked::toString);
    }

    @Test
    void monitorIoIsUnsupportedOn417() {
        try (XenHypervisor xen = dummy()) {
            var e = assertThrows(org.xenffm.api.UnsupportedOnThisXenException.class,
                    () -> xen.monitorIo(DomainId.of(1), true));
            assertEquals(XenVersion.V4_17, e.running());
            assertEquals("xc_monitor_io", e.feature());
        }
    }

    private static Object sample(Class<?> t) {
        if (t == DomainId.class) return DomainId.of(1);
        if (t == Gfn.class) return Gfn.of(0x200);
        if (t == ViewId.class) return ViewId.of(1);
        if (t == VcpuId.class) return VcpuId.of(0);
        if (t == MemAccess.class) return MemAccess.RX;
        if (t == HvmParam.class) return HvmParam.ALTP2M;
        if (t == ControlRegister.class) return ControlRegister.CR3;
        if (t == GrantRef.class) return GrantRef.of(1);
        if (t == SharingHandle.class) return SharingHandle.of(2);
        if (t == DomainConfig.class) return DomainConfig.forkChild(1);
        if (t == List.class) return List.of();
        if (t == org.xenffm.api.HvmContext.class) return new org.xenffm.api.HvmContext(List.of());
        if (t == boolean.class) return true;
        if (t == int.class) return 1;
        if (t == long.class) return 1L;
        throw new AssertionError("no sample for " + t);
    }
}
