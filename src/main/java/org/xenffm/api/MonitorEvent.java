// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.EnumSet;
import java.util.Set;

/** XEN_DOMCTL_MONITOR_EVENT_* numbers: the bits of xc_monitor_get_capabilities. */
public enum MonitorEvent {
    /** Guest writes to CR0/CR3/CR4/XCR0 ({@code xc_monitor_write_ctrlreg}). */
    WRITE_CTRLREG(0),
    /** Guest writes to chosen MSRs ({@code xc_monitor_mov_to_msr}). */
    MOV_TO_MSR(1),
    /** Every instruction; needs the CPU's monitor trap flag ({@code xc_monitor_singlestep}). */
    SINGLESTEP(2),
    /** INT3 in the guest ({@code xc_monitor_software_breakpoint}). */
    SOFTWARE_BREAKPOINT(3),
    /** The guest's HVMOP_guest_request_vm_event ({@code xc_monitor_guest_request}). */
    GUEST_REQUEST(4),
    /** #DB in the guest ({@code xc_monitor_debug_exceptions}). */
    DEBUG_EXCEPTION(5),
    /** CPUID in the guest ({@code xc_monitor_cpuid}). */
    CPUID(6),
    /** SMC on ARM; never a capability on x86 ({@code xc_monitor_privileged_call}). */
    PRIVILEGED_CALL(7),
    /** Interrupt delivery, requested per vCPU by the GET_NEXT_INTERRUPT response flag; no enable call. */
    INTERRUPT(8),
    /** Descriptor-table register access ({@code xc_monitor_descriptor_access}). */
    DESC_ACCESS(9),
    /** An instruction Xen's emulator cannot emulate ({@code xc_monitor_emul_unimplemented}). */
    EMUL_UNIMPLEMENTED(10),
    /** The filter for violations raised by guest page-table walks ({@code xc_monitor_inguest_pagefault}). */
    INGUEST_PAGEFAULT(11),
    /** Every VM exit, Xen ≥ 4.17 ({@code xc_monitor_vmexit}). */
    VMEXIT(12),
    /** Port I/O, Xen ≥ 4.18 ({@code xc_monitor_io}). */
    IO(13);

    private final int bit;

    MonitorEvent(int bit) { this.bit = bit; }

    /** {@return the XEN_DOMCTL_MONITOR_EVENT_* number, the event's bit in the capability mask} */
    public int bit() { return bit; }

    /**
     * Decodes a capability mask (XEN_DOMCTL_MONITOR_OP_GET_CAPABILITIES); unknown bits are ignored.
     *
     * @param mask the bitmap Xen returned
     * @return the events whose bits are set
     */
    public static Set<MonitorEvent> fromMask(long mask) {
        EnumSet<MonitorEvent> s = EnumSet.noneOf(MonitorEvent.class);
        for (MonitorEvent e : values()) if ((mask & (1L << e.bit)) != 0) s.add(e);
        return s;
    }

    /**
     * Encodes events as a capability mask.
     *
     * @param events the events
     * @return the bitmap with their bits set
     */
    public static long toMask(Set<MonitorEvent> events) {
        long m = 0;
        for (MonitorEvent e : events) m |= 1L << e.bit;
        return m;
    }
}
