// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * A domain's HVM save context as {@code xc_domain_hvm_getcontext} returns it and {@code xc_domain_hvm_setcontext}
 * loads it (public/hvm/save.h): a sequence of records, each a {@code struct hvm_save_descriptor} (typecode,
 * instance, length) followed by its payload; the HEADER record first, an END record last. Immutable; parsing checks
 * every length against the buffer.
 *
 * <p>The CPU record ({@code struct hvm_hw_cpu}, one per vCPU, instance = vCPU id) converts to and from
 * {@link X86Registers}: {@link #cpu}, {@link #withCpu}. The offsets of hvm_hw_cpu below are pinned to the jextract
 * layouts of Xen 4.17 and 4.20 by {@code HvmContextLayoutTest} (the record did not change between them).
 */
public final class HvmContext {
    /** DECLARE_HVM_SAVE_TYPE codes (public/hvm/save.h, public/arch-x86/hvm/save.h). */
    public static final int CODE_END = 0, CODE_HEADER = 1, CODE_CPU = 2;
    /** HVM_SAVE_CODE_MAX (x86): hvm_load refuses a typecode above it (EINVAL). */
    public static final int CODE_MAX = 20;
    /** sizeof(struct hvm_save_descriptor). */
    public static final int DESCRIPTOR_SIZE = 8;
    /** HVM_FILE_MAGIC / HVM_FILE_VERSION: the header record's first two words. */
    public static final int FILE_MAGIC = 0x54381286, FILE_VERSION = 1;
    /** sizeof(struct hvm_save_header). */
    public static final int HEADER_SIZE = 24;

    /**
     * One record: descriptor plus payload (a private copy).
     *
     * @param typecode the HVM_SAVE_CODE (e.g. {@link #CODE_CPU})
     * @param instance the instance, e.g. the vCPU for a CPU record
     * @param data     the payload
     */
    public record Record(int typecode, int instance, byte[] data) {
        /**
         * Checks the descriptor and copies the payload.
         *
         * @throws IllegalArgumentException typecode or instance beyond 16 bits
         */
        public Record {
            if ((typecode & ~0xffff) != 0 || (instance & ~0xffff) != 0)
                throw new IllegalArgumentException("typecode/instance are uint16_t");
            data = data.clone();
        }

        /** {@return a copy of the payload} */
        @Override public byte[] data() { return data.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Record r && r.typecode == typecode && r.instance == instance
                    && java.util.Arrays.equals(r.data, data);
        }

        @Override public int hashCode() { return 31 * (31 * typecode + instance) + java.util.Arrays.hashCode(data); }

        @Override public String toString() { return "Record[type " + typecode + ", instance " + instance + ", " + data.length + " bytes]"; }
    }

    private final List<Record> records;

    /**
     * A context of these records, in order (a header first and END last, for xc_domain_hvm_setcontext).
     *
     * @param records the records
     */
    public HvmContext(List<Record> records) { this.records = List.copyOf(records); }

    /**
     * Parses a save buffer. Stops after the END record (or at the end of the buffer when there is none).
     *
     * @param blob the buffer xc_domain_hvm_getcontext filled
     * @return its records
     * @throws IllegalArgumentException a descriptor or payload that runs past the buffer
     */
    public static HvmContext parse(byte[] blob) {
        MemorySegment s = MemorySegment.ofArray(blob);
        List<Record> out = new ArrayList<>();
        long off = 0;
        while (off + DESCRIPTOR_SIZE <= blob.length) {
            int type = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, off));
            int inst = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, off + 2));
            long len = Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4));
            off += DESCRIPTOR_SIZE;
            if (len > blob.length - off)
                throw new IllegalArgumentException("record " + type + "/" + inst + " of " + len + " bytes runs past the "
                        + blob.length + "-byte context at offset " + off);
            out.add(new Record(type, inst, java.util.Arrays.copyOfRange(blob, (int) off, (int) (off + len))));
            off += len;
            if (type == CODE_END) break;
        }
        return new HvmContext(out);
    }

    /** {@return the save buffer (descriptors and payloads in order), as xc_domain_hvm_setcontext takes it} */
    public byte[] toBytes() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] d = new byte[DESCRIPTOR_SIZE];
        MemorySegment ds = MemorySegment.ofArray(d);
        for (Record r : records) {
            ds.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) r.typecode);
            ds.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) r.instance);
            ds.set(ValueLayout.JAVA_INT_UNALIGNED, 4, r.data.length);
            b.writeBytes(d);
            b.writeBytes(r.data);
        }
        return b.toByteArray();
    }

    /** {@return the records, in order} */
    public List<Record> records() { return records; }

    /**
     * The first record with this descriptor.
     *
     * @param typecode the HVM_SAVE_CODE
     * @param instance the instance
     * @return the record, if present
     */
    public Optional<Record> record(int typecode, int instance) {
        return records.stream().filter(r -> r.typecode == typecode && r.instance == instance).findFirst();
    }

    /**
     * The registers in vCPU {@code vcpu}'s CPU record.
     *
     * @param vcpu the vCPU
     * @return its registers, context-only ones included
     * @throws NoSuchElementException the context has no CPU record for that vCPU
     */
    public X86Registers cpu(VcpuId vcpu) {
        return decodeCpu(record(CODE_CPU, vcpu.value())
                .orElseThrow(() -> new NoSuchElementException("no CPU record for vcpu " + vcpu.value())).data);
    }

    /**
     * A copy whose CPU record for {@code vcpu} carries {@code regs}: the fields in which {@code regs} differs from
     * the record are written, the rest of the record (FPU state, pending event, …) is kept byte for byte.
     *
     * @param vcpu the vCPU
     * @param regs its new registers
     * @return the new context
     * @throws NoSuchElementException the context has no CPU record for that vCPU
     */
    public HvmContext withCpu(VcpuId vcpu, X86Registers regs) {
        List<Record> out = new ArrayList<>(records);
        for (int i = 0; i < out.size(); i++) {
            Record r = out.get(i);
            if (r.typecode == CODE_CPU && r.instance == vcpu.value()) {
                out.set(i, new Record(CODE_CPU, r.instance, encodeCpu(r.data, regs)));
                return new HvmContext(out);
            }
        }
        throw new NoSuchElementException("no CPU record for vcpu " + vcpu.value());
    }

    @Override public boolean equals(Object o) { return o instanceof HvmContext c && c.records.equals(records); }

    @Override public int hashCode() { return records.hashCode(); }

    @Override public String toString() { return "HvmContext" + records; }

    // ---- struct hvm_hw_cpu ------------------------------------------------------------------------------------------

    /** Member name → offset of struct hvm_hw_cpu (public/arch-x86/hvm/save.h), in declaration order. */
    public static final Map<String, Integer> CPU_OFFSETS;
    /** HVM_SAVE_LENGTH(CPU) = sizeof(struct hvm_hw_cpu). */
    public static final int CPU_SIZE;

    static {
        Map<String, Integer> m = new LinkedHashMap<>();
        int off = 512;                                        // uint8_t fpu_regs[512]
        for (String n : ("rax rbx rcx rdx rbp rsi rdi rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags cr0 cr2 cr3 cr4 "
                + "dr0 dr1 dr2 dr3 dr6 dr7").split(" ")) { m.put(n, off); off += 8; }
        String[] segs = {"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr"};
        for (String sgm : segs) { m.put(sgm + "_sel", off); off += 4; }
        for (String sgm : new String[]{"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr", "idtr", "gdtr"}) { m.put(sgm + "_limit", off); off += 4; }
        for (String sgm : new String[]{"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldtr", "idtr", "gdtr"}) { m.put(sgm + "_base", off); off += 8; }
        for (String sgm : segs) { m.put(sgm + "_arbytes", off); off += 4; }
        for (String n : ("sysenter_cs sysenter_esp sysenter_eip shadow_gs msr_flags msr_lstar msr_star msr_cstar "
                + "msr_syscall_mask msr_efer msr_tsc_aux tsc").split(" ")) { m.put(n, off); off += 8; }
        for (String n : "pending_event error_code flags pad0".split(" ")) { m.put(n, off); off += 4; }
        CPU_OFFSETS = java.util.Collections.unmodifiableMap(m);
        CPU_SIZE = off;
    }

    private static final X86Registers.Reg[] COMMON = {
            X86Registers.Reg.RAX, X86Registers.Reg.RCX, X86Registers.Reg.RDX, X86Registers.Reg.RBX,
            X86Registers.Reg.RSP, X86Registers.Reg.RBP, X86Registers.Reg.RSI, X86Registers.Reg.RDI,
            X86Registers.Reg.R8, X86Registers.Reg.R9, X86Registers.Reg.R10, X86Registers.Reg.R11,
            X86Registers.Reg.R12, X86Registers.Reg.R13, X86Registers.Reg.R14, X86Registers.Reg.R15,
            X86Registers.Reg.RFLAGS, X86Registers.Reg.DR6, X86Registers.Reg.DR7, X86Registers.Reg.RIP,
            X86Registers.Reg.CR0, X86Registers.Reg.CR2, X86Registers.Reg.CR3, X86Registers.Reg.CR4,
            X86Registers.Reg.SYSENTER_CS, X86Registers.Reg.SYSENTER_ESP, X86Registers.Reg.SYSENTER_EIP,
            X86Registers.Reg.MSR_EFER, X86Registers.Reg.MSR_STAR, X86Registers.Reg.MSR_LSTAR,
            X86Registers.Reg.GDTR_BASE, X86Registers.Reg.FS_BASE, X86Registers.Reg.GS_BASE,
            X86Registers.Reg.SHADOW_GS};

    private static long q(MemorySegment s, String f) { return s.get(ValueLayout.JAVA_LONG_UNALIGNED, CPU_OFFSETS.get(f)); }

    private static long d(MemorySegment s, String f) {
        return Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT_UNALIGNED, CPU_OFFSETS.get(f)));
    }

    private static void q(MemorySegment s, String f, long v) { s.set(ValueLayout.JAVA_LONG_UNALIGNED, CPU_OFFSETS.get(f), v); }

    private static void d(MemorySegment s, String f, long v) { s.set(ValueLayout.JAVA_INT_UNALIGNED, CPU_OFFSETS.get(f), (int) v); }

    private static MemorySegment cpuRecord(byte[] record) {
        if (record.length < CPU_SIZE)
            throw new IllegalArgumentException("CPU record of " + record.length + " bytes, hvm_hw_cpu has " + CPU_SIZE);
        return MemorySegment.ofArray(record);
    }

    /**
     * The registers in one {@code struct hvm_hw_cpu}. Segment limits and attributes are packed as vm_event packs them
     * (x86 vm_event.c:vm_event_pack_segment_register: limit &gt;&gt; 12 when granular, 12 attribute bits); DR0–3, IDTR,
     * LDTR, TR, MSR_CSTAR/SYSCALL_MASK/TSC_AUX and the TSC are {@link X86Registers.ContextReg}s.
     *
     * @param record the CPU record's payload
     * @return the registers
     * @throws IllegalArgumentException a payload that is not the size of struct hvm_hw_cpu
     */
    public static X86Registers decodeCpu(byte[] record) {
        MemorySegment s = cpuRecord(record);
        X86Registers.Builder b = X86Registers.builder();
        for (X86Registers.Reg r : COMMON) b.set(r, q(s, r.cName()));
        for (X86Registers.Segment sg : X86Registers.Segment.values()) {
            String n = sg.name().toLowerCase(java.util.Locale.ROOT);
            b.segment(sg, (int) d(s, n + "_sel") & 0xffff, pack(d(s, n + "_limit"), d(s, n + "_arbytes")),
                    q(s, n + "_base"));
        }
        b.gdtrLimit((int) d(s, "gdtr_limit") & 0xffff);
        for (X86Registers.ContextReg c : X86Registers.ContextReg.values()) {
            String f = c.name().toLowerCase(java.util.Locale.ROOT);
            int size = f.endsWith("_sel") || f.endsWith("_limit") || f.endsWith("_arbytes") ? 4 : 8;
            b.context(c, size == 8 ? q(s, f) : d(s, f));
        }
        return b.build();
    }

    private static X86SelectorReg pack(long limit, long arbytes) {
        int ar = (int) arbytes & X86SelectorReg.AR_MASK;
        boolean g = (ar & X86SelectorReg.AR_G) != 0;
        return new X86SelectorReg((int) ((g ? limit >>> 12 : limit) & X86SelectorReg.LIMIT_MASK), ar);
    }

    /**
     * {@code record} (a struct hvm_hw_cpu) with the fields in which {@code regs} differs from it written; everything
     * else kept byte for byte. A changed segment writes its selector, base, attributes and limit (a granular vm_event
     * limit becomes {@code limit << 12 | 0xfff} again).
     *
     * @param record the CPU record's payload
     * @param regs   the registers to write
     * @return the new payload
     * @throws IllegalArgumentException a payload that is not the size of struct hvm_hw_cpu
     */
    public static byte[] encodeCpu(byte[] record, X86Registers regs) {
        byte[] out = record.clone();
        MemorySegment s = cpuRecord(out);
        X86Registers old = decodeCpu(record);
        for (X86Registers.Reg r : COMMON) if (regs.get(r) != old.get(r)) q(s, r.cName(), regs.get(r));
        for (X86Registers.Segment sg : X86Registers.Segment.values()) {
            String n = sg.name().toLowerCase(java.util.Locale.ROOT);
            if (regs.selector(sg) != old.selector(sg)) d(s, n + "_sel", regs.selector(sg));
            if (regs.base(sg) != old.base(sg)) q(s, n + "_base", regs.base(sg));
            if (!regs.selectorReg(sg).equals(old.selectorReg(sg))) {
                d(s, n + "_arbytes", regs.selectorReg(sg).ar());
                d(s, n + "_limit", regs.selectorReg(sg).byteLimit());
            }
        }
        if (regs.gdtrLimit() != old.gdtrLimit()) d(s, "gdtr_limit", regs.gdtrLimit());
        for (var e : regs.contextRegisters().entrySet()) {
            String f = e.getKey().name().toLowerCase(java.util.Locale.ROOT);
            if (old.context(e.getKey()).orElseThrow() == e.getValue()) continue;
            if (f.endsWith("_sel") || f.endsWith("_limit") || f.endsWith("_arbytes")) d(s, f, e.getValue());
            else q(s, f, e.getValue());
        }
        return out;
    }

    /**
     * A struct hvm_save_header payload (what the emulator's context starts with).
     *
     * @param changeset the Xen changeset word
     * @param cpuid     the CPUID signature word
     * @param gtscKhz   the guest TSC frequency in kHz
     * @return the 24-byte payload
     */
    public static byte[] header(long changeset, int cpuid, int gtscKhz) {
        byte[] h = new byte[HEADER_SIZE];
        MemorySegment s = MemorySegment.ofArray(h);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 0, FILE_MAGIC);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 4, FILE_VERSION);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, changeset);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 16, cpuid);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 20, gtscKhz);
        return h;
    }
}
