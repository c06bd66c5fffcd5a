// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.BitSet;

/** d->monitor + d->arch.monitor: which events are enabled and their options; wiped by ring disable. */
final class MonitorSettings {
    int writeCtrlregEnabled, writeCtrlregSync, writeCtrlregOnchangeonly;
    final long[] writeCtrlregMask = new long[4];
    /** The MSR bitmap exists only while a monitor ring is enabled (ENXIO otherwise). */
    BitSet msrBitmap, msrOnchange;
    boolean singlestep, softwareBreakpoint, descriptorAccess, cpuid, emulUnimplemented, inguestPagefaultDisabled;
    boolean guestRequest, guestRequestSync, guestRequestAllowUserspace;
    boolean debugException, debugExceptionSync;
    boolean vmexit, vmexitSync;
    boolean emulateEachRep;
    boolean io;

    void reset() {
        writeCtrlregEnabled = writeCtrlregSync = writeCtrlregOnchangeonly = 0;
        java.util.Arrays.fill(writeCtrlregMask, 0);
        msrBitmap = msrOnchange = null;
        singlestep = softwareBreakpoint = descriptorAccess = cpuid = emulUnimplemented = false;
        inguestPagefaultDisabled = false;
        guestRequest = guestRequestSync = guestRequestAllowUserspace = false;
        debugException = debugExceptionSync = vmexit = vmexitSync = emulateEachRep = io = false;
    }

    /** monitor_bitmap_for_msr: the index of an MSR in the three monitored ranges, or -1. */
    static int msrIndex(long msr) {
        if (msr >= 0 && msr <= 0x1fff) return (int) msr;
        if (msr >= 0x40000000L && msr <= 0x40001fffL) return 0x2000 + (int) (msr - 0x40000000L);
        if (msr >= 0xc0000000L && msr <= 0xc0001fffL) return 0x4000 + (int) (msr - 0xc0000000L);
        return -1;
    }

    boolean monitoredMsr(long msr) {
        int i = msrIndex(msr);
        return msrBitmap != null && i >= 0 && msrBitmap.get(i);
    }
}
