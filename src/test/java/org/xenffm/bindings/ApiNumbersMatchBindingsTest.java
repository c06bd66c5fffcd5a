// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.UnsupportedOnThisXenException;
import org.xenffm.api.XenVersion;

/**
 * The numbers org.xenffm.api hard-codes (so that the emulator and the API need no bindings) equal each bound Xen
 * version's header constants: a renumbering like 4.20's XENMEM_access_default 10 → 11 must be mirrored in the
 * API's version-dependent conversion, or this fails for that version.
 */
class ApiNumbersMatchBindingsTest {

    static Stream<String> packages() throws IOException {
        return XenVersions.packages().stream();
    }

    @ParameterizedTest
    @MethodSource("packages")
    void memAccessNumberingFollowsTheHeaders(String pkg) throws Exception {
        XenVersion v = XenVersion.parse(XenVersions.version(pkg));
        int checked = 0;
        for (MemAccess a : MemAccess.values()) {
            OptionalLong c = constant(pkg, "XENMEM_access_" + a.label());
            if (c.isEmpty()) {
                assertThrows(UnsupportedOnThisXenException.class, () -> a.toXen(v),
                        a + " has no xenmem_access_t value on " + v + ": toXen must refuse it");
                continue;
            }
            assertEquals(c.getAsLong(), a.toXen(v), a + ".toXen(" + v + ")");
            assertEquals(a, MemAccess.fromXen((int) c.getAsLong(), v), "fromXen(" + c.getAsLong() + ", " + v + ")");
            checked++;
        }
        assertTrue(checked >= 11, "only " + checked + " access types found in " + pkg);
    }

    @ParameterizedTest
    @MethodSource("packages")
    void monitorEventBitsFollowTheHeaders(String pkg) throws Exception {
        int checked = 0;
        for (MonitorEvent e : MonitorEvent.values()) {
            OptionalLong c = constant(pkg, "XEN_DOMCTL_MONITOR_EVENT_" + e.name());
            if (c.isPresent()) {
                assertEquals(c.getAsLong(), e.bit(), e + " in " + pkg);
                checked++;
            }
        }
        assertTrue(checked >= 13, "only " + checked + " monitor events found in " + pkg);
        // IO (bit 13) exists from 4.18 on
        assertEquals(XenVersion.parse(XenVersions.version(pkg)).atLeast(4, 18),
                constant(pkg, "XEN_DOMCTL_MONITOR_EVENT_IO").isPresent());
    }

    @ParameterizedTest
    @MethodSource("packages")
    void hvmParamsAltp2mModesAndControlRegistersFollowTheHeaders(String pkg) throws Exception {
        for (HvmParam p : new HvmParam[] {HvmParam.PAGING_RING_PFN, HvmParam.MONITOR_RING_PFN, HvmParam.SHARING_RING_PFN,
                HvmParam.ALTP2M}) {
            assertEquals(constant(pkg, p.name()).orElseThrow(), p.index(), p.name());
        }
        long[] modes = {HvmParam.ALTP2M_DISABLED, HvmParam.ALTP2M_MIXED, HvmParam.ALTP2M_EXTERNAL, HvmParam.ALTP2M_LIMITED};
        String[] names = {"disabled", "mixed", "external", "limited"};
        for (int i = 0; i < modes.length; i++) {
            assertEquals(constant(pkg, "XEN_ALTP2M_" + names[i]).orElseThrow(), modes[i], "XEN_ALTP2M_" + names[i]);
            // 4.19+: the same numbers select the mode at creation (xen_domctl_createdomain.altp2m_opts)
            OptionalLong atCreation = constant(pkg, "XEN_DOMCTL_ALTP2M_" + names[i]);
            if (atCreation.isPresent()) {
                assertEquals(atCreation.getAsLong(), modes[i], "XEN_DOMCTL_ALTP2M_" + names[i]);
            }
        }
        assertEquals(XenVersion.parse(XenVersions.version(pkg)).atLeast(4, 19),
                constant(pkg, "XEN_DOMCTL_ALTP2M_external").isPresent());
        for (ControlRegister cr : ControlRegister.values()) {
            OptionalLong c = constant(pkg, "VM_EVENT_X86_" + cr.name());
            assertTrue(c.isPresent(), "VM_EVENT_X86_" + cr.name());
            assertEquals(c.getAsLong(), cr.index(), cr + " (VM_EVENT_X86_" + cr.name() + ")");
        }
        assertFalse(constant(pkg, "XENMEM_access_no_such_thing").isPresent(), "constant lookup must not invent values");
    }

    /** The header-class constant {@code NAME()} of the package, if it is bound there. */
    static OptionalLong constant(String pkg, String name) throws Exception {
        Class<?> xen = Class.forName(XenVersions.javaPackage(pkg) + "." + ProbeGenerator.HEADER_CLASS);
        Method m;
        try {
            m = xen.getMethod(name);
        } catch (NoSuchMethodException e) {
            return OptionalLong.empty();
        }
        Object v = m.invoke(null);
        return OptionalLong.of(((Number) v).longValue());
    }
}
