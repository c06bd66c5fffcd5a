// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The page is written by another domain: whatever bytes and index sequences it shows, the consumer raises only its
 * typed errors, never touches memory outside the page, and every drain terminates.
 */
class VmEventRingFuzzTest {

    /** One thing a hostile or broken producer (or the consumer) does next. */
    sealed interface Op {}
    record SetReqProd(int value) implements Op {}
    record BumpReqProd(int by) implements Op {}
    record WriteSlot(int slot, byte[] bytes, int version, int reason, int vcpu) implements Op {}
    record Drain() implements Op {}
    record TakeOne() implements Op {}
    record AnswerOne() implements Op {}
    record Push() implements Op {}
    record DrainRaw(boolean decode) implements Op {}
    /** MonitorSession's drain: its dispatch, with typed handlers (records decoded) or none (nothing decoded). */
    record DrainSession(boolean typed) implements Op {}

    @Provide Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.oneOf(
                Arbitraries.integers().map(SetReqProd::new),
                Arbitraries.integers().between(-3, 12).map(BumpReqProd::new),
                Combinators.combine(Arbitraries.integers().between(0, 7),
                        Arbitraries.bytes().array(byte[].class).ofSize(SLOT_SIZE),
                        Arbitraries.frequency(Tuple.of(8, 7), Tuple.of(1, 6), Tuple.of(1, -1)),
                        Arbitraries.frequency(Tuple.of(8, -1), Tuple.of(1, 17), Tuple.of(1, Integer.MIN_VALUE)),
                        Arbitraries.frequency(Tuple.of(8, -1), Tuple.of(1, 4), Tuple.of(1, 0xffff)))
                        .as(WriteSlot::new),
                Arbitraries.just(new Drain()), Arbitraries.just(new TakeOne()), Arbitraries.just(new AnswerOne()),
                Arbitraries.just(new Push()), Arbitraries.of(true, false).map(DrainRaw::new),
                Arbitraries.of(true, false).map(DrainSession::new));
        return op.list().ofMaxSize(60);
    }

    @Property(tries = 400)
    void hostilePageNeverEscapesTheTypedErrors(@ForAll @Size(PAGE_SIZE) byte[] initial,
                                               @ForAll("ops") List<Op> ops,
                                               @ForAll @IntRange(min = 1, max = 9) int vcpus,
                                               @ForAll int startIndex) {
        try (Arena arena = Arena.ofConfined()) {
            // the page sits between two guard pages: a stray read throws, a stray write changes a guard
            MemorySegment all = arena.allocate(3L * PAGE_SIZE, PAGE_SIZE);
            all.fill((byte) 0xa5);
            MemorySegment page = all.asSlice(PAGE_SIZE, PAGE_SIZE);
            VmEventRing ring = VmEventRing.attachAt(page, vcpus, startIndex);
            MemorySegment.copy(initial, 0, page, ValueLayout.JAVA_BYTE, 0, PAGE_SIZE);
            java.util.ArrayDeque<VmEvent> taken = new java.util.ArrayDeque<>();
            for (Op op : ops) {
                try {
                    switch (op) {
                        case SetReqProd(int v) -> page.set(ValueLayout.JAVA_INT, REQ_PROD, v);
                        case BumpReqProd(int by) ->
                                page.set(ValueLayout.JAVA_INT, REQ_PROD, page.get(ValueLayout.JAVA_INT, REQ_PROD) + by);
                        case WriteSlot(int slot, byte[] b, int version, int reason, int vcpu) -> {
                            MemorySegment s = page.asSlice(slotOffset(slot), SLOT_SIZE);
                            MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, SLOT_SIZE);
                            s.set(ValueLayout.JAVA_INT_UNALIGNED, VERSION_OFF, version);
                            if (reason >= 0) s.set(ValueLayout.JAVA_INT_UNALIGNED, REASON, reason);
                            else s.set(ValueLayout.JAVA_INT_UNALIGNED, REASON, Math.floorMod(b[0], 17));
                            s.set(ValueLayout.JAVA_INT_UNALIGNED, VCPU_ID, vcpu >= 0 ? vcpu
                                    : Math.floorMod(b[1], vcpus));
                        }
                        case TakeOne() -> {
                            VmEvent e = ring.next();
                            if (e != null) taken.add(e);
                        }
                        case AnswerOne() -> {
                            if (!taken.isEmpty()) ring.respond(taken.poll(), VmEventResponse.CONTINUE);
                        }
                        case Push() -> ring.pushResponses();
                        case DrainRaw(boolean decode) -> {
                            while (!taken.isEmpty()) ring.respond(taken.poll(), VmEventResponse.CONTINUE);
                            int n = ring.drain(v -> {
                                if (decode) v.event();
                                v.u64(MEM_ACCESS_GLA);
                                v.rip();
                                return VmEventResponse.CONTINUE;
                            });
                            assertTrue(n <= RING_SIZE, "drain did not terminate");
                            ring.pushResponses();
                        }
                        case DrainSession(boolean typed) -> {
                            while (!taken.isEmpty()) ring.respond(taken.poll(), VmEventResponse.CONTINUE);
                            SessionDispatch d = new SessionDispatch(SessionDispatch.everyReason(typed ? v -> {
                                VmEvent e = v.event();
                                e.regs().rip();
                                return e instanceof VmEvent.MemAccess ? VmEventResponse.CONTINUE.emulate() : null;
                            } : null), new SessionDispatch.Owner() {
                                @Override public boolean stopping() { return false; }
                                @Override public void handlerFailed(MonitorSessionException e) { throw e; }
                            });
                            try {
                                int n = d.drain(ring);
                                assertTrue(n <= RING_SIZE, "drain did not terminate");
                            } finally {
                                ring.pushResponses();
                            }
                        }
                        case Drain() -> {
                            // with req_prod unchanged, a drain ends after at most RING_SIZE requests
                            while (!taken.isEmpty()) ring.respond(taken.poll(), VmEventResponse.CONTINUE);
                            int n = 0;
                            for (VmEvent e; (e = next(ring)) != null; n++) {
                                assertTrue(n < RING_SIZE, "drain did not terminate");
                                if (e != CORRUPT) ring.respond(e, VmEventResponse.CONTINUE);
                            }
                            ring.pushResponses();
                        }
                    }
                } catch (RingCorruptException e) {
                    if (e.consumed()) ring.acknowledge(e);
                }
                assertTrue(ring.unanswered() >= 0 && ring.unanswered() <= RING_SIZE);
            }
            for (long o = 0; o < PAGE_SIZE; o++) {
                assertEquals((byte) 0xa5, all.get(ValueLayout.JAVA_BYTE, o), "guard before the page changed");
                assertEquals((byte) 0xa5, all.get(ValueLayout.JAVA_BYTE, 2L * PAGE_SIZE + o), "guard after");
            }
        }
    }

    private static final VmEvent CORRUPT = new VmEvent.GuestRequest(new long[VmEventAbi.SLOT_SIZE / 8], new org.xenffm.api.VcpuId[0], null);

    /** next(), turning a consumed corrupt entry into an acknowledged one so a drain keeps going. */
    private static VmEvent next(VmEventRing ring) {
        try {
            return ring.next();
        } catch (RingCorruptException e) {
            if (!e.consumed()) throw e;
            ring.acknowledge(e);
            return CORRUPT;
        }
    }

    @Property(tries = 300)
    void everyWellFormedRequestDecodesAndIsAnsweredEchoingItsHeader(
            @ForAll @Size(400) byte[] body, @ForAll @IntRange(min = 0, max = 16) int reason,
            @ForAll @IntRange(min = 0, max = 63) int vcpu, @ForAll int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE_SIZE, PAGE_SIZE);
            VmEventRing ring = VmEventRing.attach(page, VERSION, 64);
            XenSideProducer xen = new XenSideProducer(page);
            MemorySegment req = MemorySegment.ofArray(body.clone());
            req.set(ValueLayout.JAVA_INT_UNALIGNED, VERSION_OFF, VERSION);
            req.set(ValueLayout.JAVA_INT_UNALIGNED, FLAGS, flags);
            req.set(ValueLayout.JAVA_INT_UNALIGNED, REASON, reason);
            req.set(ValueLayout.JAVA_INT_UNALIGNED, VCPU_ID, vcpu);
            req.set(ValueLayout.JAVA_INT_UNALIGNED, U + CTRLREG_INDEX, Math.floorMod(body[0], 4));
            req.set(ValueLayout.JAVA_BYTE, U + DESC_DESCRIPTOR, (byte) (1 + Math.floorMod(body[1], 4)));
            MemorySegment aligned = arena.allocate(SLOT_SIZE, 8).copyFrom(req);
            assertTrue(xen.put(aligned));
            VmEvent e = ring.next();
            assertEquals(vcpu, e.vcpu().value());
            assertEquals(reason, e.header().reason());
            assertArrayEquals(req.asSlice(DATA, DATA_SIZE).toArray(ValueLayout.JAVA_BYTE), e.regs().toBytes());
            ring.respond(e, VmEventResponse.CONTINUE);
            ring.pushResponses();
            MemorySegment rsp = xen.takeResponses().getFirst();
            assertEquals(vcpu, rsp.get(ValueLayout.JAVA_INT_UNALIGNED, VCPU_ID));
            assertEquals(reason, rsp.get(ValueLayout.JAVA_INT_UNALIGNED, REASON));
            assertEquals(flags & FLAG_VCPU_PAUSED, rsp.get(ValueLayout.JAVA_INT_UNALIGNED, FLAGS));
        }
    }
}
