// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.EnumSet;
import java.util.Set;

/** XEN_DOMCTL_MONITOR_EVENT_* numbers: the bits of xc_monitor_get_capabilities. */
public enum MonitorEvent {
    WRITE_CTRLREG(0), MOV_TO_MSR(1), SINGLESTEP(2), SOFTWARE_BREAKPOINT(3), GUEST_REQUEST(4), DEBUG_EXCEPTION(5),
    CPUID(6), PRIVILEGED_CALL(7), INTERRUPT(8), DESC_ACCESS(9), EMUL_UNIMPLEMENTED(10), INGUEST_PAGEFAULT(11),
    VMEXIT(12), IO(13);

    private final int bit;

    MonitorEvent(int bit) { this.bit = bit; }

    public int bit() { return bit; }

    public static Set<MonitorEvent> fromMask(long mask) {
        EnumSet<MonitorEvent> s = EnumSet.noneOf(MonitorEvent.class);
        for (MonitorEvent e : values()) if ((mask & (1L << e.bit)) != 0) s.add(e);
        return s;
    }

    public static long toMask(Set<MonitorEvent> events) {
        long m = 0;
        for (MonitorEvent e : events) m |= 1L << e.bit;
        return m;
    }
}
