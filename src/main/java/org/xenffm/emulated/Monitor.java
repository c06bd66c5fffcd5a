// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.UnsupportedOnThisXenException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;

import static org.xenffm.emulated.VmEventLayout.*;

/**
 * Monitor toggles (common/monitor.c:monitor_domctl, arch/x86/monitor.c) and the vm_event ring's Xen side
 * (common/vm_event.c: enable/disable/resume, claim_slot, put_request, get_response, wake).
 */
final class Monitor {
    private final Host h;

    Monitor(Host h) { this.h = h; }

    // ---- XEN_DOMCTL_monitor_op ---------------------------------------------------------------------------------

    Set<MonitorEvent> capabilities(Domain d) {
        return d.hvm ? h.cfg.monitorCapabilities() : EnumSet.noneOf(MonitorEvent.class);
    }

    Set<MonitorEvent> getCapabilities(DomainId id) {
        Domain d = target(id);
        return capabilities(d);
    }

    private Domain target(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EPERM);   // no monitor on self
        return d;
    }

    /** ENABLE/DISABLE common part: capability, then requested state = current state → EEXIST. */
    private void toggle(DomainId id, MonitorEvent ev, boolean enable, boolean current, Consumer<MonitorSettings> apply) {
        Domain d = target(id);
        if (!capabilities(d).contains(ev)) throw Rc.of(Errno.EOPNOTSUPP);
        if (current(d, ev) == enable) throw Rc.of(Errno.EEXIST);
        apply.accept(d.monitor);
    }

    private boolean current(Domain d, MonitorEvent ev) {
        MonitorSettings m = d.monitor;
        return switch (ev) {
            case SINGLESTEP -> m.singlestep;
            case SOFTWARE_BREAKPOINT -> m.softwareBreakpoint;
            case DESC_ACCESS -> m.descriptorAccess;
            case CPUID -> m.cpuid;
            case EMUL_UNIMPLEMENTED -> m.emulUnimplemented;
            case INGUEST_PAGEFAULT -> m.inguestPagefaultDisabled;
            case GUEST_REQUEST -> m.guestRequest;
            case DEBUG_EXCEPTION -> m.debugException;
            case VMEXIT -> m.vmexit;
            case IO -> m.io;
            default -> false;
        };
    }

    void writeCtrlreg(DomainId id, ControlRegister reg, boolean enable, boolean sync, long bitmask, boolean onchange) {
        Domain d = target(id);
        if (!capabilities(d).contains(MonitorEvent.WRITE_CTRLREG)) throw Rc.of(Errno.EOPNOTSUPP);
        MonitorSettings m = d.monitor;
        int bit = 1 << reg.index();
        if (((m.writeCtrlregEnabled & bit) != 0) == enable) throw Rc.of(Errno.EEXIST);
        m.writeCtrlregSync = sync ? m.writeCtrlregSync | bit : m.writeCtrlregSync & ~bit;
        m.writeCtrlregOnchangeonly = onchange ? m.writeCtrlregOnchangeonly | bit : m.writeCtrlregOnchangeonly & ~bit;
        m.writeCtrlregMask[reg.index()] = enable ? bitmask : 0;
        m.writeCtrlregEnabled = enable ? m.writeCtrlregEnabled | bit : m.writeCtrlregEnabled & ~bit;
    }

    /** MOV_TO_MSR: EEXIST on same state; enabling without the ring's MSR bitmap → ENXIO (before the range check). */
    void movToMsr(DomainId id, int msr, boolean enable, boolean onchange) {
        Domain d = target(id);
        if (!capabilities(d).contains(MonitorEvent.MOV_TO_MSR)) throw Rc.of(Errno.EOPNOTSUPP);
        MonitorSettings m = d.monitor;
        long umsr = Integer.toUnsignedLong(msr);
        if (m.monitoredMsr(umsr) == enable) throw Rc.of(Errno.EEXIST);
        if (m.msrBitmap == null) throw Rc.of(Errno.ENXIO);
        int i = MonitorSettings.msrIndex(umsr);
        if (i < 0) throw Rc.of(Errno.EINVAL);
        m.msrBitmap.set(i, enable);
        m.msrOnchange.set(i, enable && onchange);
    }

    void singleStep(DomainId id, boolean en) { toggle(id, MonitorEvent.SINGLESTEP, en, false, m -> m.singlestep = en); }

    void softwareBreakpoint(DomainId id, boolean en) {
        toggle(id, MonitorEvent.SOFTWARE_BREAKPOINT, en, false, m -> m.softwareBreakpoint = en);
    }

    void descriptorAccess(DomainId id, boolean en) {
        toggle(id, MonitorEvent.DESC_ACCESS, en, false, m -> m.descriptorAccess = en);
    }

    void guestRequest(DomainId id, boolean en, boolean sync, boolean allowUser) {
        toggle(id, MonitorEvent.GUEST_REQUEST, en, false, m -> {
            m.guestRequest = en;
            m.guestRequestSync = sync;
            m.guestRequestAllowUserspace = allowUser;
        });
    }

    void inguestPagefault(DomainId id, boolean disable) {
        toggle(id, MonitorEvent.INGUEST_PAGEFAULT, disable, false, m -> m.inguestPagefaultDisabled = disable);
    }

    void debugExceptions(DomainId id, boolean en, boolean sync) {
        toggle(id, MonitorEvent.DEBUG_EXCEPTION, en, false, m -> { m.debugException = en; m.debugExceptionSync = sync; });
    }

    void cpuid(DomainId id, boolean en) { toggle(id, MonitorEvent.CPUID, en, false, m -> m.cpuid = en); }

    /** PRIVILEGED_CALL is ARM-only: never in an x86 capability set. */
    void privilegedCall(DomainId id, boolean en) { toggle(id, MonitorEvent.PRIVILEGED_CALL, en, false, m -> {}); }

    void emulUnimplemented(DomainId id, boolean en) {
        toggle(id, MonitorEvent.EMUL_UNIMPLEMENTED, en, false, m -> m.emulUnimplemented = en);
    }

    void vmexit(DomainId id, boolean en, boolean sync) {
        toggle(id, MonitorEvent.VMEXIT, en, false, m -> { m.vmexit = en; m.vmexitSync = sync; });
    }

    /** MONITOR_OP_EMULATE_EACH_REP: needs the vCPUs' vm_event state (a monitor ring). */
    void emulateEachRep(DomainId id, boolean en) {
        Domain d = target(id);
        if (d.ring == null) throw Rc.of(Errno.EINVAL);
        d.monitor.emulateEachRep = en;
    }

    /** xc_monitor_io does not exist before 4.18; with it, IO is a plain capability toggle. */
    void io(DomainId id, boolean en) {
        if (!h.cfg.version().atLeast(4, 18))
            throw new UnsupportedOnThisXenException("xc_monitor_io", h.cfg.version(), "4.18");
        toggle(id, MonitorEvent.IO, en, false, m -> m.io = en);
    }

    // ---- XEN_DOMCTL_vm_event_op (monitor mode) -----------------------------------------------------------------

    /** xc_monitor_enable = pause, map HVM_PARAM_MONITOR_RING_PFN, VM_EVENT_ENABLE, remove the gfn, unpause. */
    MonitorRing enable(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0 || d.maxVcpus() == 0) throw Rc.of(Errno.EINVAL);
        if (d.ring != null) throw Rc.of(Errno.EBUSY);
        long ringGfn = d.params[28];
        if (ringGfn == 0 || !d.hvm) throw Rc.of(Errno.EOPNOTSUPP);
        // libxc xc_vm_event_enable: a ring gfn not in the physmap (a fork child's, observed on 4.17.5) is populated
        // first (xc_domain_populate_physmap_exact; its EBUSY fails the enable)
        if (!d.host.get(ringGfn).valid()) h.physmap.populate(id, java.util.List.of(org.xenffm.api.Gfn.of(ringGfn)));
        VmEventRing r = new VmEventRing(d, d.nextXenPort++, false);
        // the page the tools mapped: its current contents (zero unless the guest wrote there)
        Entry e = d.host.get(ringGfn);
        Frame f = h.frames.getMaterialised(e.mfn());
        if (f != null && f.hasContents()) r.page.copyFrom(f.contents());
        // XSA-99: the ring gfn leaves the guest physmap (libxc's decrease_reservation), but the page stays the
        // domain's while the ring holds it (prepare_ring_for_helper's reference; guest_remove_page's put_page is
        // not the last one): tot_pages drops when the ring goes (observed on 4.17.5: s42)
        h.setHost(d, ringGfn, Entry.HOLE);
        r.heldFrame = f;
        r.holdsPage = true;
        d.ring = r;
        d.monitor.msrBitmap = new BitSet();
        d.monitor.msrOnchange = new BitSet();
        return new MonitorRing(id, r.page, r.xenPort, h.closeHooks);
    }

    void disable(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EINVAL);
        if (d.dying) return;   // vm_event_domctl on a dying domain: 0, nothing done
        VmEventRing r = d.ring;
        if (r == null) throw Rc.of(Errno.EINVAL);
        if (!r.waitQueue.isEmpty()) throw Rc.of(Errno.EBUSY);
        for (Vcpu v : d.vcpus) {
            if (v.blockedByRing) { v.blockedByRing = false; r.blocked--; }
            v.slotGrabbed = false;   // the ring goes: put_request of a claimed slot then finds no ring
            // vm_event_cleanup_domain: per-vCPU vm_event state goes; vm_event_pause_count stays
            v.emulateFlags = 0;
            v.emulReadData = null;
        }
        d.monitor.reset();   // arch_monitor_cleanup_domain
        d.ring = null;
        releasePage(r);
        if (r.consumer != null) r.consumer.remoteClosed(r);
        r.close();
    }

    /** destroy_ring_for_helper: the ring's reference was the page's last; it is freed and leaves tot_pages. */
    void releasePage(VmEventRing r) {
        if (!r.holdsPage) return;
        r.holdsPage = false;
        r.domain.totPages--;
        if (r.heldFrame != null) h.frames.free(r.heldFrame); else h.frames.freeImplicit();
    }

    void resume(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EINVAL);
        if (d.ring == null) throw Rc.of(Errno.ENODEV);
        resume(d, d.ring);
    }

    /** The consumer kicked Xen's port (EVTCHN_send → vm_event_notification_fn → vm_event_resume). */
    void kicked(VmEventRing r) {
        Domain d = r.domain;
        if (d.destroyed) return;
        if (r == d.ring || r == d.sharingRing) resume(d, r);
    }

    // ---- vm_event.c ---------------------------------------------------------------------------------------------

    /** vm_event_resume: every response in ring order (§7.6). */
    void resume(Domain d, VmEventRing r) {
        long[] rsp;
        while ((rsp = r.getResponse()) != null) {
            wake(d, r);
            if ((int) VmEventRequest.get(rsp, VERSION_OFF, 4) != VERSION) {   // the vCPU stays paused
                h.console.printk("vm_event interface version mismatch");   // printk(XENLOG_G_WARNING ...)
                continue;
            }
            int vid = (int) VmEventRequest.get(rsp, VCPU_ID, 4);
            if (vid < 0 || vid >= d.maxVcpus()) continue;
            Vcpu v = d.vcpus[vid];
            if (v.vmEventPause == 0) continue;   // flags apply only to a vCPU paused by vm_event
            int flags = (int) VmEventRequest.get(rsp, FLAGS, 4);
            int reason = (int) VmEventRequest.get(rsp, REASON, 4);
            if (d.isFork() && (flags & (F_RESET_FORK_STATE | F_RESET_FORK_MEMORY)) != 0)
                h.memshr.forkReset(d, (flags & F_RESET_FORK_STATE) != 0, (flags & F_RESET_FORK_MEMORY) != 0);
            emulateCheck(v, rsp, flags, reason);
            if ((flags & F_DENY) != 0 && v.pending != null) {
                v.pending.deny(reason, (int) VmEventRequest.get(rsp, U + U_CTRLREG_INDEX, 4));
            }
            if ((flags & F_TOGGLE_SINGLESTEP) != 0) {
                if (h.cfg.singlestepSupported()) v.singleStep = !v.singleStep;
            } else if ((flags & F_FAST_SINGLESTEP) != 0 && h.cfg.singlestepSupported()) {
                v.singleStep = true;
                v.fastSingleStepView = (int) VmEventRequest.get(rsp, U + U_FAST_SINGLESTEP_P2MIDX, 2);
            }
            if ((flags & F_ALTERNATE_P2M) != 0) {
                // p2m_altp2m_check → p2m_switch_vcpu_altp2m_by_id: active view only, visibility ignored
                h.altp2m.switchVcpu(v, (int) VmEventRequest.get(rsp, ALTP2M_IDX, 2));
            }
            if ((flags & F_SET_REGISTERS) != 0) VmEventRequest.loadRegisters(rsp, v.regs);
            if ((flags & F_GET_NEXT_INTERRUPT) != 0) v.nextInterrupt = true;
            if ((flags & F_VCPU_PAUSED) != 0) v.vmEventPause--;
        }
    }

    /** vm_event_emulate_check (x86). */
    private void emulateCheck(Vcpu v, long[] rsp, int flags, int reason) {
        if ((flags & F_EMULATE) == 0) {
            v.emulateFlags = 0;
            return;
        }
        if (reason == REASON_MEM_ACCESS) {
            // emulate iff the recorded access still conflicts with the permissions in place
            long gfn = VmEventRequest.get(rsp, U + U_GFN, 8);
            int accessFlags = (int) VmEventRequest.get(rsp, U + U_MEM_ACCESS_FLAGS, 4);
            if (h.memAccess.emulateCheck(v, gfn, accessFlags)) {
                if ((flags & F_SET_EMUL_READ_DATA) != 0) v.emulReadData = emulRead(rsp);
                v.emulateFlags = flags;
            }
        } else if (reason == REASON_SOFTWARE_BREAKPOINT) {
            // x86/vm_event.c:vm_event_emulate_check: the 16 insn bytes are taken with the flags; hvm_vm_event_do_resume
            // then emulates one instruction from them (EMUL_KIND_SET_CONTEXT_INSN)
            if ((flags & F_SET_EMUL_INSN_DATA) != 0) {
                v.emulInsnData = bytes(rsp, DATA, EMUL_INSN_SIZE);
                v.emulateFlags = flags;
            }
        } else if (reason == REASON_DESCRIPTOR_ACCESS) {
            if ((flags & F_SET_EMUL_READ_DATA) != 0) v.emulReadData = emulRead(rsp);
            v.emulateFlags = flags;
        }
    }

    private static byte[] emulRead(long[] rsp) {
        int size = (int) VmEventRequest.get(rsp, DATA + EMUL_READ_SIZE, 4);
        size = Math.max(0, Math.min(size, EMUL_READ_MAX));   // bounds-check what the consumer wrote
        return bytes(rsp, DATA + EMUL_READ_DATA, size);
    }

    /** {@code n} bytes of a response copy from byte offset {@code off}. */
    private static byte[] bytes(long[] rsp, long off, int n) {
        byte[] out = new byte[n];
        MemorySegment.copy(MemorySegment.ofArray(rsp), ValueLayout.JAVA_BYTE, off, out, 0, n);
        return out;
    }

    /**
     * vm_event_wake: queued waiters first (up to the free slots), else the blocked vCPUs round-robin.
     * vm_event.c:vm_event_get_response calls it for every response it consumes, before vm_event_resume reaches that
     * response's VCPU_PAUSED (vm_event_vcpu_unpause comes last). So a waiter woken by wake_up_nr is running again —
     * its vm_event_wait_slot retries vm_event_grab_slot — while the answered vCPU is still paused: the waiter takes
     * the freed slot, and the answered vCPU, re-executing its faulting instruction, finds the ring full and queues
     * (observed on real Xen under Bochs, issue 15: 9 vCPUs, 8 slots, one response; integration s33). Modelled by grabbing the slot
     * for the woken waiter here (target_producers++), used by its next {@link #traps}.
     */
    private void wake(Domain d, VmEventRing r) {
        int avail = r.available();
        if (!r.waitQueue.isEmpty()) {
            while (avail-- > 0 && !r.waitQueue.isEmpty()) {
                Vcpu w = r.waitQueue.pollFirst();
                w.waitingForSlot = false;
                w.slotGrabbed = true;
                r.reserved++;
            }
            return;
        }
        if (avail == 0 || r.blocked == 0) return;
        int n = d.maxVcpus();
        for (int i = r.lastVcpuWakeUp + 1, j = 0; j < n; i++, j++) {
            if (r.blocked == 0 || avail == 0) break;
            int k = i % n;
            Vcpu v = d.vcpus[k];
            if (v.blockedByRing) {
                v.blockedByRing = false;
                avail--;
                r.blocked--;
                r.lastVcpuWakeUp = k;
            }
        }
    }

    /** Outcome of monitor_traps for the event source. */
    enum Trap { DROPPED, SENT_ASYNC, SENT_SYNC, WAIT_FOR_SLOT }

    /**
     * monitor_traps: claim a slot (a guest vCPU sleeps on the wait queue when the ring is full; no ring → the event
     * is dropped), fill vcpu_id, VCPU_PAUSED + pause when sync, ALTERNATE_P2M + view, registers; put; notify.
     */
    Trap traps(Vcpu v, boolean sync, VmEventRequest req) {
        Domain d = v.domain;
        VmEventRing r = d.ring;
        if (r == null) return Trap.DROPPED;
        if (v.slotGrabbed) {   // woken from the wait queue holding a slot (wake)
            v.slotGrabbed = false;
            r.reserved--;
        } else if (r.available() <= 0) {
            v.waitingForSlot = true;
            r.waitQueue.addLast(v);
            return Trap.WAIT_FOR_SLOT;
        }
        req.vcpu(v.id);
        if (sync) {
            req.flags(F_VCPU_PAUSED);
            v.vmEventPause++;
        }
        if (d.altp2mActive) {
            req.flags(F_ALTERNATE_P2M);
            req.altp2mIdx(v.p2midx);
        }
        req.fillRegs(v.regs);
        putRequest(d, r, req);
        return sync ? Trap.SENT_SYNC : Trap.SENT_ASYNC;
    }

    /** vm_event_put_request. */
    void putRequest(Domain d, VmEventRing r, VmEventRequest req) {
        Vcpu cur = h.current;
        if (cur == null || cur.domain != d) req.flags(F_FOREIGN);
        req.version();
        req.finish();
        r.put(req);
        // give this vCPU a black eye if fewer slots remain than vCPUs, so every vCPU keeps one
        if (cur != null && cur.domain == d && r.available() < d.maxVcpus() && cur.vmEventPause == 0
                && !cur.blockedByRing) {
            cur.blockedByRing = true;
            r.blocked++;
        }
        h.notifyLater(r);   // notify_via_xen_event_channel, sent as this call ends
    }
}
