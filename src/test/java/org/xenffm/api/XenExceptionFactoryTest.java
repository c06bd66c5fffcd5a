// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** XenException.of picks XenNotAvailableException for a device open that cannot reach Xen, and nothing else. */
class XenExceptionFactoryTest {

    @Test
    void failedDeviceOpensMeanNoXenHere() {
        for (String op : new String[] {"xc_interface_open", "xenevtchn_open", "xenforeignmemory_open"}) {
            for (Errno e : new Errno[] {Errno.ENOENT, Errno.ENXIO, Errno.ENODEV, Errno.EACCES, Errno.EPERM}) {
                XenException x = XenException.of(op, null, null, null, e.value());
                assertInstanceOf(XenNotAvailableException.class, x, op + " " + e);
                assertEquals(op, x.operation());
                assertEquals(e, x.errno());
            }
        }
        assertTrue(XenException.of("xc_interface_open", null, null, null, 2).getMessage()
                .contains("/dev/xen/privcmd is missing"));
        assertTrue(XenException.of("xenevtchn_open", null, null, null, 2).getMessage()
                .contains("/dev/xen/evtchn is missing"));
        assertTrue(XenException.of("xc_interface_open", null, null, null, 13).getMessage().contains("needs root"));
    }

    @Test
    void otherFailuresStayPlain() {
        assertFalse(XenException.of("xc_interface_open", null, null, null, Errno.ENOMEM.value())
                instanceof XenNotAvailableException);
        assertFalse(XenException.of("xc_domain_pause", DomainId.of(3), null, null, Errno.ENOENT.value())
                instanceof XenNotAvailableException);
    }

    @Test
    void auditOnAReleaseHypervisor() {
        String m = XenException.of("xc_memshr_audit", null, null, null, Errno.EOPNOTSUPP.value()).getMessage();
        assertEquals("xc_memshr_audit failed: EOPNOTSUPP (audit exists only in debug hypervisors (release build))", m);
    }
}
