// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86SelectorReg;
import org.xenffm.api.X86Registers;
import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.Gfn;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

class VmEventRingTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment page = arena.allocate(PAGE_SIZE, PAGE_SIZE);

    @AfterEach void close() { arena.close(); }

    private static int i32(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_INT_UNALIGNED, off); }

    @Test void attachDoesSharedRingInit() {
        page.fill((byte) 0x5a);
        VmEventRing.attach(page, 7, 1);
        assertEquals(0, i32(page, REQ_PROD));
        assertEquals(1, i32(page, REQ_EVENT));
        assertEquals(0, i32(page, RSP_PROD));
        assertEquals(1, i32(page, RSP_EVENT));
        for (long o = PVT; o < RING; o++) assertEquals(0, page.get(ValueLayout.JAVA_BYTE, o), "pad byte " + o);
        assertEquals(0x5a, page.get(ValueLayout.JAVA_BYTE, RING), "slots are not Xen's to clear, nor ours");
    }

    @ParameterizedTest @ValueSource(ints = {3, 6, 8, 0, -1})
    void otherHypervisorVersionIsATypedErrorBeforeTouchingThePage(int version) {
        page.fill((byte) 0x11);
        var e = assertThrows(VmEventVersionException.class, () -> VmEventRing.attach(page, version, 1));
        assertEquals(7, e.expected());
        assertEquals(version, e.found());
        assertEquals(0x11111111, i32(page, REQ_PROD), "nothing written on a version mismatch");
    }

    @Test void emptyRingYieldsNothing() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        assertNull(ring.next());
        assertFalse(ring.pushResponses());
    }

    @Test void memAccessRequestDecodesAndTheResponseEchoesVcpuReasonAndPaused() {
        VmEventRing ring = VmEventRing.attach(page, 7, 2);
        XenSideProducer xen = new XenSideProducer(page);
        assertTrue(xen.put(Requests.memAccessWrite(1, 0x1234, 0x567, 0x7fff_0000_1567L).view(3).bytes));
        VmEvent.MemAccess e = (VmEvent.MemAccess) ring.next();
        assertEquals(VcpuId.of(1), e.vcpu());
        assertEquals(Gfn.of(0x1234), e.gfn());
        assertEquals(0x567, e.offset());
        assertEquals(0x1234567L, e.gpa());
        assertEquals(0x7fff_0000_1567L, e.gla());
        assertTrue(e.read() && e.write() && !e.exec() && e.glaValid() && e.faultWithGla() && !e.faultInGpt());
        assertTrue(e.header().vcpuPaused());
        assertEquals(ViewId.of(3), e.header().view().orElseThrow());
        assertEquals(0xffff_f800_0000_1001L, e.regs().rip());
        assertEquals(-1L, e.regs().vmtracePos());
        assertEquals(2, i32(page, REQ_EVENT), "req_event = req_cons + 1");
        assertNull(ring.next(), "one request only");

        ring.respond(e, VmEventResponse.CONTINUE);
        assertTrue(xen.takeResponses().isEmpty(), "nothing visible before the push");
        assertTrue(ring.pushResponses());
        List<MemorySegment> rsp = xen.takeResponses();
        assertEquals(1, rsp.size());
        MemorySegment r = rsp.getFirst();
        assertEquals(VERSION, i32(r, VERSION_OFF));
        assertEquals(FLAG_VCPU_PAUSED, i32(r, FLAGS));
        assertEquals(REASON_MEM_ACCESS, i32(r, REASON));
        assertEquals(1, i32(r, VCPU_ID));
        assertEquals(2, i32(page, RSP_EVENT), "Xen's rsp_event = rsp_cons + 1");
        assertEquals(0x1234, r.get(ValueLayout.JAVA_LONG_UNALIGNED, U + MEM_ACCESS_GFN), "u echoed (emulate check)");
        assertEquals(0x1b, i32(r, U + MEM_ACCESS_FLAGS));
        assertEquals(0, r.get(ValueLayout.JAVA_LONG_UNALIGNED, ALTP2M_IDX), "altp2m_idx and pad cleared");
    }

    @Test void registersDecodeIncludingSelectorBitfieldsAndNarrowFields() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        Requests r = Requests.sync(REASON_GUEST_REQUEST, 0).reg(0, 0x1111).reg(120, 0xf15).reg(176, 0x1ab000)
                .reg(320, 0xfffff80012340000L);
        r.bytes.set(ValueLayout.JAVA_INT_UNALIGNED, DATA + 264, 0x8000_0000);          // cs_base (u32)
        r.bytes.set(ValueLayout.JAVA_INT_UNALIGNED, DATA + 296, (0xa9b << 20) | 0xfffff); // cs: ar 0xa9b, limit
        r.bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, DATA + 328, (short) 0xffff);       // gdtr_limit (u16)
        r.bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, DATA + 330, (short) 0x10);         // cs_sel
        xen.put(r.bytes);
        X86Registers regs = ring.next().regs();
        assertEquals(0x1111, regs.rax());
        assertEquals(0xf15, regs.r15());
        assertEquals(0x1ab000, regs.cr3());
        assertEquals(0xfffff80012340000L, regs.shadowGs());
        assertEquals(0x8000_0000L, regs.csBase(), "u32 base read unsigned");
        assertEquals(new X86SelectorReg(0xfffff, 0xa9b), regs.cs());
        assertTrue(regs.cs().longMode());
        assertEquals(0xffff, regs.gdtrLimit(), "u16 read unsigned");
        assertEquals(0x10, regs.csSel());
        assertEquals(regs.rip(), regs.get(X86Registers.Gpr.RIP));
        assertEquals(7, regs.with(X86Registers.Gpr.R15, 7).r15());
        assertEquals(0xf15, regs.r15(), "with() copies");
    }

    @Test void asyncRequestIsAnsweredWithoutPaused() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.of(REASON_GUEST_REQUEST, 0, 0).bytes);
        VmEvent e = ring.next();
        assertInstanceOf(VmEvent.GuestRequest.class, e);
        assertFalse(e.header().vcpuPaused());
        ring.respond(e, VmEventResponse.CONTINUE);
        ring.pushResponses();
        assertEquals(0, i32(xen.takeResponses().getFirst(), FLAGS));
    }

    @Test void everyReasonDecodesToItsRecord() {
        VmEventRing ring = VmEventRing.attach(page, 7, 4);
        XenSideProducer xen = new XenSideProducer(page);
        List<Requests> reqs = List.of(
                Requests.sync(REASON_WRITE_CTRLREG, 0).u32(CTRLREG_INDEX, 1).u64(CTRLREG_NEW, 0x5000)
                        .u64(CTRLREG_OLD, 0x4000),
                Requests.sync(REASON_MOV_TO_MSR, 1).u64(MSR_MSR, 0xc0000082L).u64(MSR_NEW, 9).u64(MSR_OLD, 8),
                Requests.sync(REASON_SOFTWARE_BREAKPOINT, 2).u64(DEBUG_GFN, 0x99).u32(DEBUG_INSN_LENGTH, 1)
                        .u8(DEBUG_TYPE, 6),
                Requests.sync(REASON_SINGLESTEP, 3).u64(SINGLESTEP_GFN, 0x42),
                Requests.sync(REASON_DEBUG_EXCEPTION, 0).u64(DEBUG_GFN, 0x43).u64(DEBUG_PENDING_DBG, 0x4000)
                        .u32(DEBUG_INSN_LENGTH, 0).u8(DEBUG_TYPE, 3),
                Requests.sync(REASON_CPUID, 1).u32(CPUID_INSN_LENGTH, 2).u32(CPUID_LEAF, 0x40000000)
                        .u32(CPUID_SUBLEAF, 5),
                Requests.sync(REASON_INTERRUPT, 2).u32(INTR_VECTOR, 14).u32(INTR_TYPE, 3).u32(INTR_ERROR_CODE, 2)
                        .u64(INTR_CR2, 0xdead000L),
                Requests.sync(REASON_DESCRIPTOR_ACCESS, 3).u32(DESC_INSTR_INFO, 0x1234)
                        .u64(DESC_EXIT_QUALIFICATION, 0x77).u8(DESC_DESCRIPTOR, 2).u8(DESC_IS_WRITE, 1));
        for (Requests r : reqs) assertTrue(xen.put(r.bytes));
        assertFalse(xen.put(Requests.sync(REASON_CPUID, 0).bytes), "9th request: Xen sees a full ring");
        List<VmEvent> got = new ArrayList<>();
        for (VmEvent e; (e = ring.next()) != null; ) got.add(e);
        assertEquals(8, got.size());
        var cr = (VmEvent.WriteCtrlreg) got.get(0);
        assertEquals(ControlRegister.CR3, cr.register());
        assertEquals(0x5000, cr.newValue());
        assertEquals(0x4000, cr.oldValue());
        var msr = (VmEvent.MovToMsr) got.get(1);
        assertEquals(0xc0000082L, msr.msr());
        assertEquals(9, msr.newValue());
        var bp = (VmEvent.SoftwareBreakpoint) got.get(2);
        assertEquals(Gfn.of(0x99), bp.gfn());
        assertEquals(1, bp.insnLength());
        assertEquals(6, bp.type());
        assertEquals(Gfn.of(0x42), ((VmEvent.Singlestep) got.get(3)).gfn());
        var db = (VmEvent.DebugException) got.get(4);
        assertEquals(0x4000, db.pendingDbg());
        assertEquals(3, db.type());
        var cpuid = (VmEvent.Cpuid) got.get(5);
        assertEquals(0x40000000, cpuid.leaf());
        assertEquals(5, cpuid.subleaf());
        assertEquals(2, cpuid.insnLength());
        var intr = (VmEvent.Interrupt) got.get(6);
        assertEquals(14, intr.vector());
        assertEquals(2, intr.errorCode());
        assertEquals(0xdead000L, intr.cr2());
        var desc = (VmEvent.DescriptorAccess) got.get(7);
        assertEquals(VmEvent.Descriptor.GDTR, desc.descriptor());
        assertTrue(desc.write());
        assertEquals(0x1234, desc.instrInfo());
        assertEquals(0x77, desc.exitQualification());
        for (VmEvent e : got) ring.respond(e, VmEventResponse.CONTINUE);
        ring.pushResponses();
        List<MemorySegment> rsp = xen.takeResponses();
        for (int i = 0; i < 8; i++) {
            assertEquals(got.get(i).header().reason(), i32(rsp.get(i), REASON));
            assertEquals(got.get(i).vcpu().value(), i32(rsp.get(i), VCPU_ID));
        }
        // Xen's view: all 8 slots free again
        assertEquals(8, xen.freeRequests());
        for (int i = 0; i < 4; i++) {
            int reason = new int[] {REASON_EMUL_UNIMPLEMENTED, REASON_VMEXIT, REASON_IO_INSTRUCTION, REASON_MEM_PAGING}[i];
            Requests r = Requests.sync(reason, i);
            if (reason == REASON_VMEXIT) r.u64(VMEXIT_REASON, 48).u64(VMEXIT_QUALIFICATION, 0x181);
            if (reason == REASON_IO_INSTRUCTION) r.u32(IO_BYTES, 4).u16(IO_PORT, 0xcf8).u8(IO_IN, 1).u8(IO_STR, 0);
            xen.put(r.bytes);
        }
        assertInstanceOf(VmEvent.EmulUnimplemented.class, ring.next());
        var vmexit = (VmEvent.Vmexit) ring.next();
        assertEquals(48, vmexit.reason());
        assertEquals(0x181, vmexit.qualification());
        var io = (VmEvent.IoInstruction) ring.next();
        assertEquals(0xcf8, io.port());
        assertEquals(4, io.bytes());
        assertTrue(io.in());
        assertFalse(io.string());
        var unknown = (VmEvent.Unknown) ring.next();
        assertEquals(REASON_MEM_PAGING, unknown.reason());
    }

    @Test void responsesEncodeEveryAction() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        for (int i = 0; i < 6; i++) xen.put(Requests.sync(REASON_MEM_ACCESS, 0).bytes);
        List<VmEvent> es = new ArrayList<>();
        for (VmEvent e; (e = ring.next()) != null; ) es.add(e);
        X86Registers regs = es.get(0).regs().with(X86Registers.Gpr.RIP, 0x1000).with(X86Registers.Gpr.RAX, 42);
        byte[] read = {1, 2, 3, 4, 5};
        ring.respond(es.get(0), VmEventResponse.CONTINUE.emulateNoWrite());
        ring.respond(es.get(1), VmEventResponse.CONTINUE.emulateWithReadData(read));
        ring.respond(es.get(2), VmEventResponse.CONTINUE.switchToView(ViewId.of(2)).fastSinglestep(ViewId.of(0)));
        ring.respond(es.get(3), VmEventResponse.CONTINUE.setRegisters(regs).toggleSinglestep());
        ring.respond(es.get(4), VmEventResponse.CONTINUE.resetFork(true, true).getNextInterrupt());
        ring.respond(es.get(5), VmEventResponse.CONTINUE.deny());
        ring.pushResponses();
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(FLAG_VCPU_PAUSED | FLAG_EMULATE | FLAG_EMULATE_NOWRITE, i32(r.get(0), FLAGS));
        assertEquals(FLAG_VCPU_PAUSED | FLAG_EMULATE | FLAG_SET_EMUL_READ_DATA, i32(r.get(1), FLAGS));
        assertEquals(5, i32(r.get(1), DATA + EMUL_READ_SIZE));
        assertEquals(3, r.get(1).get(ValueLayout.JAVA_BYTE, DATA + EMUL_READ_DATA + 2));
        assertEquals(0, r.get(1).get(ValueLayout.JAVA_BYTE, DATA + EMUL_READ_DATA + 5), "rest zeroed");
        assertEquals(FLAG_VCPU_PAUSED | FLAG_ALTERNATE_P2M | FLAG_FAST_SINGLESTEP, i32(r.get(2), FLAGS));
        assertEquals(2, r.get(2).get(ValueLayout.JAVA_SHORT_UNALIGNED, ALTP2M_IDX));
        assertEquals(0, r.get(2).get(ValueLayout.JAVA_SHORT_UNALIGNED, U + FAST_SINGLESTEP_P2MIDX));
        assertEquals(FLAG_VCPU_PAUSED | FLAG_SET_REGISTERS | FLAG_TOGGLE_SINGLESTEP, i32(r.get(3), FLAGS));
        assertEquals(0x1000, r.get(3).get(ValueLayout.JAVA_LONG_UNALIGNED, DATA + 152));
        assertEquals(42, r.get(3).get(ValueLayout.JAVA_LONG_UNALIGNED, DATA));
        assertEquals(-1L, r.get(3).get(ValueLayout.JAVA_LONG_UNALIGNED, DATA + 256), "other registers kept");
        assertEquals(FLAG_VCPU_PAUSED | FLAG_RESET_FORK_STATE | FLAG_RESET_FORK_MEMORY | FLAG_GET_NEXT_INTERRUPT,
                i32(r.get(4), FLAGS));
        assertEquals(FLAG_VCPU_PAUSED | FLAG_DENY, i32(r.get(5), FLAGS));
        assertEquals(es.get(5).regs().rip(), r.get(5).get(ValueLayout.JAVA_LONG_UNALIGNED, DATA + 152),
                "no action uses the data union: it is left as Xen wrote it, not cleared");
    }

    @Test void responseCombinationsXenCannotHonourAreRefused() {
        var regs = X86Registers.ZERO;
        assertThrows(IllegalArgumentException.class,
                () -> VmEventResponse.CONTINUE.setRegisters(regs).emulateWithReadData(new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> VmEventResponse.CONTINUE.toggleSinglestep().fastSinglestep(ViewId.HOST));
        assertThrows(IllegalArgumentException.class,
                () -> VmEventResponse.CONTINUE.emulateWithReadData(new byte[EMUL_READ_MAX + 1]));
        assertThrows(IllegalArgumentException.class, () -> VmEventResponse.CONTINUE.emulInsnData(new byte[15]));
    }

    @Test void indexesWrapAroundUint32() {
        int start = -5; // 0xfffffffb: wraps after 5 requests
        VmEventRing ring = VmEventRing.attachAt(page, 3, start);
        XenSideProducer xen = new XenSideProducer(page, start);
        int answered = 0, expected = 0;
        for (int round = 0; round < 50; round++) {
            int n = 1 + round % 8;
            expected += n;
            for (int i = 0; i < n; i++) assertTrue(xen.put(Requests.sync(REASON_CPUID, (round + i) % 3)
                    .u32(CPUID_LEAF, round * 8 + i).bytes));
            for (int i = 0; i < n; i++) {
                var e = (VmEvent.Cpuid) ring.next();
                assertEquals(round * 8 + i, e.leaf());
                ring.respond(e, VmEventResponse.CONTINUE);
            }
            assertNull(ring.next());
            ring.pushResponses();
            answered += xen.takeResponses().size();
        }
        assertEquals(expected, answered);
        assertEquals(expected - 5, xen.reqProdPvt(), "indexes crossed 2^32");
        assertEquals(expected - 5, i32(page, RSP_PROD));
        assertEquals(8, xen.freeRequests());
    }

    @Test void reqProdTooFarAheadIsCorruptAndNothingIsRead() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        page.set(ValueLayout.JAVA_INT, REQ_PROD, 9);
        var e = assertThrows(RingCorruptException.class, ring::next);
        assertEquals(RingCorruptException.Kind.INDEX_OUT_OF_RANGE, e.kind());
        assertFalse(e.consumed());
        assertEquals(1, i32(page, REQ_EVENT), "req_cons did not move");
    }

    @Test void reqProdBeyondUnpublishedResponsesIsCorrupt() {
        // Xen can produce only into slots whose responses it has seen: 8 taken, 8 answered but not pushed,
        // then req_prod = 9 is impossible.
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        for (int i = 0; i < 8; i++) xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        for (int i = 0; i < 8; i++) ring.respond(ring.next(), VmEventResponse.CONTINUE);
        page.set(ValueLayout.JAVA_INT, REQ_PROD, 9);
        assertEquals(RingCorruptException.Kind.INDEX_OUT_OF_RANGE,
                assertThrows(RingCorruptException.class, ring::next).kind());
    }

    @Test void reqProdGoingBackwardsIsCorrupt() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        ring.respond(ring.next(), VmEventResponse.CONTINUE);
        page.set(ValueLayout.JAVA_INT, REQ_PROD, 1);
        assertEquals(RingCorruptException.Kind.INDEX_OUT_OF_RANGE,
                assertThrows(RingCorruptException.class, ring::next).kind());
        page.set(ValueLayout.JAVA_INT, REQ_PROD, -1);
        assertThrows(RingCorruptException.class, ring::next);
    }

    @Test void corruptEntriesAreConsumedReportedAndAcknowledged() {
        VmEventRing ring = VmEventRing.attach(page, 7, 2);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.sync(REASON_CPUID, 1).raw(VERSION_OFF, 6).bytes);
        xen.put(Requests.sync(17, 1).bytes);
        xen.put(Requests.sync(REASON_CPUID, 2).bytes);
        xen.put(Requests.sync(REASON_WRITE_CTRLREG, 0).u32(CTRLREG_INDEX, 4).bytes);
        xen.put(Requests.sync(REASON_DESCRIPTOR_ACCESS, 0).u8(DESC_DESCRIPTOR, 0).bytes);
        xen.put(Requests.sync(REASON_CPUID, 0).u32(CPUID_LEAF, 7).bytes);
        RingCorruptException.Kind[] kinds = {RingCorruptException.Kind.BAD_VERSION,
                RingCorruptException.Kind.UNKNOWN_REASON, RingCorruptException.Kind.VCPU_OUT_OF_RANGE,
                RingCorruptException.Kind.BAD_PAYLOAD, RingCorruptException.Kind.BAD_PAYLOAD};
        for (var k : kinds) {
            var e = assertThrows(RingCorruptException.class, ring::next);
            assertEquals(k, e.kind());
            assertTrue(e.consumed());
            ring.acknowledge(e);
        }
        var ok = (VmEvent.Cpuid) ring.next();
        assertEquals(7, ok.leaf(), "the ring goes on after a bad entry");
        ring.respond(ok, VmEventResponse.CONTINUE);
        ring.pushResponses();
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(6, r.size());
        assertEquals(FLAG_VCPU_PAUSED, i32(r.get(0), FLAGS), "bad version from vCPU 1: still released");
        assertEquals(1, i32(r.get(0), VCPU_ID));
        assertEquals(0, i32(r.get(2), FLAGS), "vCPU 2 does not exist: nothing to release");
        assertEquals(2, i32(r.get(2), VCPU_ID));
    }

    @Test void moreResponsesThanRequestsIsAProgrammingError() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        VmEvent e = ring.next();
        ring.respond(e, VmEventResponse.CONTINUE);
        assertThrows(IllegalStateException.class, () -> ring.respond(e, VmEventResponse.CONTINUE));
    }

    @Test void heapPagesWithoutAlignmentAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> VmEventRing.attach(MemorySegment.ofArray(new byte[PAGE_SIZE]), 7, 1));
    }

    /** drain(Handler) answers exactly as next()/respond() would: byte-identical responses for the same requests. */
    @Test void drainWritesTheSameResponsesAsTheTypedPath() {
        List<Requests> reqs = List.of(Requests.memAccessWrite(0, 0x44, 8, 0x1008).view(2),
                Requests.sync(REASON_CPUID, 1).u32(CPUID_LEAF, 3), Requests.of(REASON_GUEST_REQUEST, 1, 0),
                Requests.sync(REASON_WRITE_CTRLREG, 0).u32(CTRLREG_INDEX, 2).u64(CTRLREG_NEW, 0x20));
        java.util.function.Function<VmEvent, VmEventResponse> decide = e -> switch (e) {
            case VmEvent.MemAccess m -> VmEventResponse.CONTINUE.emulate().switchToView(ViewId.HOST);
            case VmEvent.WriteCtrlreg c -> VmEventResponse.CONTINUE.deny();
            default -> VmEventResponse.CONTINUE;
        };
        List<MemorySegment> typed, raw;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p1 = a.allocate(PAGE_SIZE, PAGE_SIZE), p2 = a.allocate(PAGE_SIZE, PAGE_SIZE);
            VmEventRing r1 = VmEventRing.attach(p1, 7, 2), r2 = VmEventRing.attach(p2, 7, 2);
            XenSideProducer x1 = new XenSideProducer(p1), x2 = new XenSideProducer(p2);
            for (Requests r : reqs) {
                x1.put(r.bytes);
                x2.put(r.bytes);
            }
            for (VmEvent e; (e = r1.next()) != null; ) r1.respond(e, decide.apply(e));
            r1.pushResponses();
            List<Integer> leaves = new ArrayList<>();
            assertEquals(4, r2.drain(v -> {
                if (v.reason() == REASON_CPUID) leaves.add(v.u32(CPUID_LEAF));
                if (v.reason() == REASON_MEM_ACCESS) assertEquals(0x44, v.u64(MEM_ACCESS_GFN));
                return decide.apply(v.event());
            }));
            assertEquals(List.of(3), leaves);
            r2.pushResponses();
            typed = x1.takeResponses();
            raw = x2.takeResponses();
        }
        assertEquals(4, raw.size());
        for (int i = 0; i < 4; i++)
            assertEquals(-1, typed.get(i).mismatch(raw.get(i)), "response " + i + " differs between the paths");
    }

    @Test void aThrowingDrainHandlerStillAnswersItsRequest() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        xen.put(Requests.sync(REASON_CPUID, 0).bytes);
        assertThrows(IllegalStateException.class, () -> ring.drain(v -> { throw new IllegalStateException("bug"); }));
        assertEquals(0, ring.unanswered(), "answered despite the exception");
        assertEquals(1, ring.drain(v -> null), "the rest is still there");
        ring.pushResponses();
        List<MemorySegment> r = xen.takeResponses();
        assertEquals(2, r.size());
        for (MemorySegment m : r) assertEquals(FLAG_VCPU_PAUSED, i32(m, FLAGS));
        assertThrows(IndexOutOfBoundsException.class, () -> {
            xen.put(Requests.sync(REASON_CPUID, 0).bytes);
            ring.drain(v -> { v.u64(U_SIZE - 4); return null; });
        }, "view reads stay inside u");
    }

    @Test void aCorruptPayloadFoundByAViewIsAnsweredOnce() {
        VmEventRing ring = VmEventRing.attach(page, 7, 1);
        XenSideProducer xen = new XenSideProducer(page);
        xen.put(Requests.sync(REASON_WRITE_CTRLREG, 0).u32(CTRLREG_INDEX, 9).bytes);
        var e = assertThrows(RingCorruptException.class, () -> ring.drain(v -> { v.event(); return null; }));
        assertEquals(RingCorruptException.Kind.BAD_PAYLOAD, e.kind());
        assertFalse(e.consumed(), "already answered: nothing to acknowledge");
        assertEquals(0, ring.unanswered());
        ring.pushResponses();
        assertEquals(1, xen.takeResponses().size());
    }

    @Test void aTakeOverMidBatchWritesTheAnswersDecidedSoFarAndTheStuckDrainWritesNothingMore() throws Exception {
        try (Arena shared = Arena.ofShared()) {
            MemorySegment p = shared.allocate(PAGE_SIZE, PAGE_SIZE);
            VmEventRing ring = VmEventRing.attach(p, 7, 4);
            XenSideProducer xen = new XenSideProducer(p);
            for (int v = 0; v < 3; v++) xen.put(Requests.sync(REASON_CPUID, v).bytes);
            var held = new java.util.concurrent.CountDownLatch(1);
            var release = new java.util.concurrent.CountDownLatch(1);
            List<Integer> staleSaw = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread stuck = Thread.ofPlatform().start(() -> ring.drain(v -> {
                staleSaw.add(v.vcpuIndex());
                if (v.vcpuIndex() == 0) return VmEventResponse.CONTINUE.deny(); // decided before the takeover
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return VmEventResponse.CONTINUE.emulate(); // late: must never reach the page
            }));
            assertTrue(held.await(10, java.util.concurrent.TimeUnit.SECONDS));
            VmEventRing successor = ring.takeOverFromHandler();
            assertNotNull(successor, "a drain was in progress");
            assertNull(ring.takeOverFromHandler(), "taken once");
            List<Integer> successorSaw = new ArrayList<>();
            assertEquals(2, successor.drain(v -> { successorSaw.add(v.vcpuIndex()); return null; }));
            assertEquals(List.of(1, 2), successorSaw, "the stuck handler's request first, then the rest");
            assertTrue(successor.pushResponses());
            release.countDown();
            stuck.join(10_000);
            assertFalse(stuck.isAlive());
            assertEquals(List.of(0, 1), staleSaw, "once its handler returned, the old drain took no further request");
            assertFalse(ring.pushResponses(), "the old consumer publishes nothing");
            List<MemorySegment> r = xen.takeResponses();
            assertEquals(3, r.size(), "each request answered exactly once");
            assertEquals(FLAG_VCPU_PAUSED | FLAG_DENY, i32(r.get(0), FLAGS), "the answer decided before the takeover");
            for (int v = 0; v < 3; v++) assertEquals(v, i32(r.get(v), VCPU_ID));
            assertEquals(FLAG_VCPU_PAUSED, i32(r.get(1), FLAGS), "the late EMULATE answer was dropped");
            assertEquals(FLAG_VCPU_PAUSED, i32(r.get(2), FLAGS));
        }
    }
}
