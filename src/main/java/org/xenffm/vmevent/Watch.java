// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.util.Objects;
import java.util.Optional;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;

/**
 * Something a running {@link MonitorSession} watches until told to stop ({@link MonitorSession#add}): a mem_access
 * restriction on a range of gfns, in the host p2m or in one altp2m view, or a kind of monitor event (CPUID, software
 * breakpoints, single-steps, control-register writes, …). A watch is only a description; {@link MonitorSession#add}
 * makes the Xen calls and returns the {@link LiveWatch} that removes it again. The builder's methods of the same
 * names are these watches, held for the whole session.
 */
public sealed interface Watch permits Watch.Access, Watch.Event {

    /**
     * Restricts the host access of gfns [first, first + nr) (xc_set_mem_access; the change reaches every altp2m view
     * holding them, as Xen propagates host changes). A guest access the rights forbid raises a MEM_ACCESS event.
     *
     * @param first  the first gfn
     * @param nr     how many gfns, at least 1
     * @param access the access; {@link MemAccess#DEFAULT} is refused
     * @return the watch
     * @throws IllegalArgumentException {@code nr} below 1, {@link MemAccess#DEFAULT}, or a range that wraps
     */
    static Access access(Gfn first, long nr, MemAccess access) { return new Access(null, first, nr, access); }

    /**
     * Restricts the access of gfns [first, first + nr) in one altp2m view only (xc_altp2m_set_mem_access): a vCPU
     * running in that view raises MEM_ACCESS events, the others do not. A gfn the view holds no entry for is copied
     * from the host first (Xen's effective entry); removing the watch drops that entry again.
     *
     * @param view   the view; 0 is the host p2m (as in xc_altp2m_set_mem_access): the same as
     *               {@link #access(Gfn, long, MemAccess)}
     * @param first  the first gfn
     * @param nr     how many gfns, at least 1
     * @param access the access; {@link MemAccess#DEFAULT} is refused
     * @return the watch
     * @throws IllegalArgumentException {@code nr} below 1, {@link MemAccess#DEFAULT}, or a range that wraps
     */
    static Access access(ViewId view, Gfn first, long nr, MemAccess access) {
        return new Access(view.value() == 0 ? null : view, first, nr, access);
    }

    /**
     * CPUID events (xc_monitor_cpuid).
     *
     * @return the watch
     */
    static Event cpuid() {
        return new Event("xc_monitor_cpuid", "cpuid", (hv, d) -> hv.monitorCpuid(d, true),
                (hv, d) -> hv.monitorCpuid(d, false));
    }

    /**
     * SINGLESTEP events (xc_monitor_singlestep). Removing it stops the events, not a vCPU's stepping: a vCPU a
     * handler set stepping keeps stepping until a response toggles it off (the teardown does that for every vCPU
     * it answers).
     *
     * @return the watch
     */
    static Event singlestep() {
        return new Event("xc_monitor_singlestep", "singlestep", (hv, d) -> hv.monitorSingleStep(d, true),
                (hv, d) -> hv.monitorSingleStep(d, false));
    }

    /**
     * SOFTWARE_BREAKPOINT events: the guest's INT3s come to the session instead of the guest
     * (xc_monitor_software_breakpoint).
     *
     * @return the watch
     */
    static Event softwareBreakpoint() {
        return new Event("xc_monitor_software_breakpoint", "software_breakpoint",
                (hv, d) -> hv.monitorSoftwareBreakpoint(d, true), (hv, d) -> hv.monitorSoftwareBreakpoint(d, false));
    }

    /**
     * WRITE_CTRLREG events for one of CR0/CR3/CR4/XCR0 (xc_monitor_write_ctrlreg). One register has one setting
     * at a time: a second watch on it must ask for the same settings.
     *
     * @param reg          the register
     * @param sync         pause the vCPU until the response (which may DENY the write)
     * @param ignoredBits  bits whose changes alone raise no event
     * @param onChangeOnly only writes that change the value
     * @return the watch
     */
    static Event writeCtrlreg(ControlRegister reg, boolean sync, long ignoredBits, boolean onChangeOnly) {
        return new Event("xc_monitor_write_ctrlreg", "write_ctrlreg " + reg,
                "sync=" + sync + " ignoredBits=0x" + Long.toHexString(ignoredBits) + " onChangeOnly=" + onChangeOnly,
                (hv, d) -> hv.monitorWriteCtrlreg(d, reg, true, sync, ignoredBits, onChangeOnly),
                (hv, d) -> hv.monitorWriteCtrlreg(d, reg, false, false, 0, false));
    }

    /**
     * MOV_TO_MSR events for one MSR (xc_monitor_mov_to_msr).
     *
     * @param msr          the MSR
     * @param onChangeOnly only writes that change the value
     * @return the watch
     */
    static Event movToMsr(int msr, boolean onChangeOnly) {
        return new Event("xc_monitor_mov_to_msr", "mov_to_msr 0x" + Integer.toHexString(msr),
                "onChangeOnly=" + onChangeOnly, (hv, d) -> hv.monitorMovToMsr(d, msr, true, onChangeOnly),
                (hv, d) -> hv.monitorMovToMsr(d, msr, false, false));
    }

    /**
     * DEBUG_EXCEPTION events (xc_monitor_debug_exceptions).
     *
     * @param sync pause the vCPU until the response
     * @return the watch
     */
    static Event debugExceptions(boolean sync) {
        return new Event("xc_monitor_debug_exceptions", "debug_exceptions", "sync=" + sync,
                (hv, d) -> hv.monitorDebugExceptions(d, true, sync), (hv, d) -> hv.monitorDebugExceptions(d, false, false));
    }

    /**
     * DESCRIPTOR_ACCESS events (xc_monitor_descriptor_access).
     *
     * @return the watch
     */
    static Event descriptorAccess() {
        return new Event("xc_monitor_descriptor_access", "descriptor_access",
                (hv, d) -> hv.monitorDescriptorAccess(d, true), (hv, d) -> hv.monitorDescriptorAccess(d, false));
    }

    /**
     * GUEST_REQUEST events (xc_monitor_guest_request).
     *
     * @param sync           pause the vCPU until the response
     * @param allowUserspace accept requests from guest user mode too
     * @return the watch
     */
    static Event guestRequest(boolean sync, boolean allowUserspace) {
        return new Event("xc_monitor_guest_request", "guest_request", "sync=" + sync + " allowUserspace=" + allowUserspace,
                (hv, d) -> hv.monitorGuestRequest(d, true, sync, allowUserspace),
                (hv, d) -> hv.monitorGuestRequest(d, false, false, false));
    }

    /**
     * EMUL_UNIMPLEMENTED events (xc_monitor_emul_unimplemented).
     *
     * @return the watch
     */
    static Event emulUnimplemented() {
        return new Event("xc_monitor_emul_unimplemented", "emul_unimplemented",
                (hv, d) -> hv.monitorEmulUnimplemented(d, true), (hv, d) -> hv.monitorEmulUnimplemented(d, false));
    }

    /**
     * Suppresses MEM_ACCESS events raised by the guest's own page-table walks (xc_monitor_inguest_pagefault).
     *
     * @return the watch
     */
    static Event suppressInguestPagefaults() {
        return new Event("xc_monitor_inguest_pagefault", "inguest_pagefault",
                (hv, d) -> hv.monitorInguestPagefault(d, true), (hv, d) -> hv.monitorInguestPagefault(d, false));
    }

    /**
     * VMEXIT events (xc_monitor_vmexit).
     *
     * @param sync pause the vCPU until the response
     * @return the watch
     */
    static Event vmexit(boolean sync) {
        return new Event("xc_monitor_vmexit", "vmexit", "sync=" + sync, (hv, d) -> hv.monitorVmexit(d, true, sync),
                (hv, d) -> hv.monitorVmexit(d, false, false));
    }

    /** A mem_access restriction on a range of gfns, in the host p2m or one altp2m view. */
    final class Access implements Watch {
        private final ViewId view; // null: the host p2m (xc_set_mem_access)
        private final Gfn first;
        private final long nr;
        private final MemAccess access;

        private Access(ViewId view, Gfn first, long nr, MemAccess access) {
            if (nr < 1) throw new IllegalArgumentException("nr must be at least 1");
            if (access == MemAccess.DEFAULT) throw new IllegalArgumentException("set a concrete access");
            if (Long.compareUnsigned(first.value() + nr - 1, first.value()) < 0)
                throw new IllegalArgumentException("the range wraps");
            this.view = view;
            this.first = Objects.requireNonNull(first);
            this.nr = nr;
            this.access = Objects.requireNonNull(access);
        }

        /** {@return the altp2m view, or empty for the host p2m} */
        public Optional<ViewId> view() { return Optional.ofNullable(view); }

        /** {@return the first gfn} */
        public Gfn first() { return first; }

        /** {@return how many gfns} */
        public long nr() { return nr; }

        /** {@return the access the watch asks for} */
        public MemAccess access() { return access; }

        ViewId viewOrNull() { return view; }

        boolean covers(long gfn) { return gfn - first.value() >= 0 && gfn - first.value() < nr; }

        @Override public String toString() {
            return (view == null ? "host" : view.toString()) + " gfn 0x" + Long.toHexString(first.value())
                    + (nr > 1 ? "+" + nr : "") + " " + access.label();
        }
    }

    /** One kind of monitor event, switched on while the watch is held. */
    final class Event implements Watch {
        /** The Xen call switching it, given the hypervisor and domain. */
        @FunctionalInterface interface Call { void run(Hypervisor hv, DomainId domain); }

        private final String op, slot, settings;
        private final Call on, off;

        private Event(String op, String slot, Call on, Call off) { this(op, slot, "", on, off); }

        private Event(String op, String slot, String settings, Call on, Call off) {
            this.op = op;
            this.slot = slot;
            this.settings = settings;
            this.on = on;
            this.off = off;
        }

        /** {@return the libxenctrl call that switches it, e.g. {@code xc_monitor_cpuid}} */
        public String op() { return op; }

        /** What Xen holds one setting of: the kind, and the register or MSR for the per-register kinds. */
        String slot() { return slot; }

        String settings() { return settings; }

        void on(Hypervisor hv, DomainId d) { on.run(hv, d); }

        void off(Hypervisor hv, DomainId d) { off.run(hv, d); }

        @Override public String toString() { return slot + (settings.isEmpty() ? "" : " (" + settings + ")"); }
    }
}
