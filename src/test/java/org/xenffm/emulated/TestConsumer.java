// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.EventChannel;
import org.xenffm.api.MonitorRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.xenffm.emulated.VmEventLayout.*;

/**
 * A minimal ring consumer written the way tools/misc/xen-access.c does it (SHARED_RING_INIT, BACK_RING_INIT,
 * acquire req_prod, copy out, respond in slot rsp_prod_pvt, release rsp_prod, notify) — the emulator must work with
 * it unchanged.
 */
final class TestConsumer implements AutoCloseable {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final MonitorRing ring;
    final MemorySegment page;
    final EventChannel channel;
    final int port;
    int reqCons, rspProdPvt;

    TestConsumer(EmulatedHypervisor emu, DomainId d) {
        this(emu, d, emu.monitorEnable(d));
    }

    TestConsumer(EmulatedHypervisor emu, DomainId d, MonitorRing ring) {
        this.ring = ring;
        this.page = ring.page();
        // SHARED_RING_INIT
        page.set(ValueLayout.JAVA_INT, REQ_PROD, 0);
        page.set(ValueLayout.JAVA_INT, RSP_PROD, 0);
        page.set(ValueLayout.JAVA_INT, REQ_EVENT, 1);
        page.set(ValueLayout.JAVA_INT, RSP_EVENT, 1);
        this.channel = emu.eventChannelOpen();
        this.port = channel.bindInterdomain(d, ring.remotePort());
    }

    record Req(MemorySegment raw) {
        int version() { return raw.get(ValueLayout.JAVA_INT, VERSION_OFF); }
        int flags() { return raw.get(ValueLayout.JAVA_INT, FLAGS); }
        int reason() { return raw.get(ValueLayout.JAVA_INT, REASON); }
        int vcpu() { return raw.get(ValueLayout.JAVA_INT, VCPU_ID); }
        int altp2mIdx() { return Short.toUnsignedInt(raw.get(ValueLayout.JAVA_SHORT, ALTP2M_IDX)); }
        long u64(long off) { return raw.get(ValueLayout.JAVA_LONG, U + off); }
        int u32(long off) { return raw.get(ValueLayout.JAVA_INT, U + off); }
        int u8(long off) { return Byte.toUnsignedInt(raw.get(ValueLayout.JAVA_BYTE, U + off)); }
        long gfn() { return u64(U_GFN); }
        long reg(long off) { return raw.get(ValueLayout.JAVA_LONG, DATA + off); }
        int accessFlags() { return u32(U_MEM_ACCESS_FLAGS); }
    }

    /** Every unconsumed request, copied out of the ring. */
    List<Req> take() {
        List<Req> out = new ArrayList<>();
        int reqProd = (int) INT.getAcquire(page, REQ_PROD);
        while (reqCons != reqProd && (reqCons - rspProdPvt) < RING_SIZE) {
            MemorySegment copy = Arena.ofAuto().allocate(SLOT_SIZE, 8);
            MemorySegment.copy(page, slot(reqCons), copy, 0, SLOT_SIZE);
            reqCons++;
            page.set(ValueLayout.JAVA_INT, REQ_EVENT, reqCons + 1);
            out.add(new Req(copy));
        }
        return out;
    }

    Req takeOne() {
        List<Req> l = take();
        if (l.size() != 1) throw new AssertionError("expected exactly one request, got " + l.size());
        return l.get(0);
    }

    /** Writes a response echoing vcpu_id, reason and VCPU_PAUSED (plus extra flags), publishes it and kicks Xen. */
    void respond(Req req, int extraFlags, Consumer<MemorySegment> fill) {
        write(req, extraFlags, fill);
        push();
    }

    void respond(Req req, int extraFlags) { respond(req, extraFlags, null); }

    /** Writes one response without publishing it. */
    void write(Req req, int extraFlags, Consumer<MemorySegment> fill) {
        MemorySegment rsp = Arena.ofAuto().allocate(SLOT_SIZE, 8);
        rsp.set(ValueLayout.JAVA_INT, VERSION_OFF, VERSION);
        rsp.set(ValueLayout.JAVA_INT, VCPU_ID, req.vcpu());
        rsp.set(ValueLayout.JAVA_INT, REASON, req.reason());
        rsp.set(ValueLayout.JAVA_INT, FLAGS, (req.flags() & F_VCPU_PAUSED) | extraFlags);
        MemorySegment.copy(req.raw(), U, rsp, U, 32);
        if (fill != null) fill.accept(rsp);
        MemorySegment.copy(rsp, 0, page, slot(rspProdPvt), SLOT_SIZE);
        rspProdPvt++;
    }

    /** RING_PUSH_RESPONSES + xenevtchn_notify. */
    void push() {
        INT.setRelease(page, RSP_PROD, rspProdPvt);
        channel.notify(port);
    }

    int reqProd() { return (int) INT.getAcquire(page, REQ_PROD); }

    int rspEvent() { return page.get(ValueLayout.JAVA_INT, RSP_EVENT); }

    @Override public void close() { channel.close(); }
}
