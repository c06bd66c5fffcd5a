// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.api.AddressSpace;
import org.xenffm.vmi.GuestMemory;
import org.xenffm.api.Translation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Introspection verbs over {@link GuestMemory} and the HVM context: {@code regs}, {@code read}, {@code write},
 * {@code translate}, and the physmap verbs {@code populate} / {@code decrease}.
 */
final class VmiCommands {
    private VmiCommands() {}

    static final String ADDRESS = "guest-physical address, or guest-virtual with --virtual (decimal or 0x-hex)";
    static final String TRANSLATION_EXIT = "  5  the virtual address does not translate (the message names the level, "
            + "the table gfn and the entry)";

    /** Where a virtual address is translated: a vCPU's current page tables, or another CR3 in the same mode. */
    static final class Space {
        @Option(names = "--vcpu", paramLabel = "VCPU", description = "vCPU whose registers give the paging mode and CR3 (default 0)")
        VcpuId vcpu = VcpuId.of(0);
        @Option(names = "--cr3", paramLabel = "CR3", description = "walk these page tables instead of the vCPU's CR3 (same paging mode)")
        String cr3;

        AddressSpace of(GuestMemory mem) {
            AddressSpace as = mem.addressSpace(vcpu);
            return cr3 == null ? as : as.withCr3(Args.number(cr3));
        }
    }

    /** The arguments read and write share: domain, address, and where a virtual address is translated. */
    abstract static class AddressCommand extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "ADDR", description = ADDRESS) String addr;
        @Option(names = "--virtual", description = "ADDR is guest-virtual") boolean virtual;
        @picocli.CommandLine.ArgGroup(exclusive = false) Space space = new Space();
    }

    @Command(name = "regs", sortOptions = false, usageHelpAutoWidth = true,
            header = "Show a vCPU's registers (xc_domain_hvm_getcontext_partial, the CPU save record).",
            description = {"Reads one vCPU's struct hvm_hw_cpu as LibVMI does: general-purpose registers, RIP, RFLAGS,",
                    "CR0/2/3/4, EFER and the other saved MSRs, segment registers, DR0-3/6/7, the TSC. Xen pauses the",
                    "vCPU for the copy. ENOENT: no such vCPU; ENODATA: the vCPU is down."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm regs 1", "  xenffm --json regs 1 2"})
    static final class Regs extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VCPU", arity = "0..1", description = ArgDocs.VCPU) VcpuId vcpu = VcpuId.of(0);

        @Override int run(Hypervisor hv, Printer out) {
            X86Registers r = hv.domainHvmGetcontextPartial(domain, vcpu);
            Json j = Json.object().put("domain", domain.value()).put("vcpu", vcpu.value());
            StringBuilder h = new StringBuilder();
            int col = 0;
            for (X86Registers.Reg reg : X86Registers.Reg.values()) {
                if (reg == X86Registers.Reg.NPT_BASE || reg == X86Registers.Reg.VMTRACE_POS) continue;   // not in the save record
                j.putUnsigned(reg.cName(), r.get(reg));
                h.append(String.format("%-13s %016x", reg.cName(), r.get(reg))).append(++col % 3 == 0 ? "\n" : "   ");
            }
            for (var e : r.contextRegisters().entrySet()) {
                String n = e.getKey().name().toLowerCase(Locale.ROOT);
                j.putUnsigned(n, e.getValue());
                h.append(String.format("%-13s %016x", n, e.getValue())).append(++col % 3 == 0 ? "\n" : "   ");
            }
            if (col % 3 != 0) h.append('\n');
            for (X86Registers.Segment s : X86Registers.Segment.values()) {
                String n = s.name().toLowerCase(Locale.ROOT);
                var sr = r.selectorReg(s);
                j.put(n, Json.object().put("sel", r.selector(s)).putUnsigned("base", r.base(s))
                        .putUnsigned("limit", sr.byteLimit()).put("ar", sr.ar()));
                h.append(String.format("%-3s sel %04x base %016x limit %08x ar %03x%n", n, r.selector(s), r.base(s),
                        sr.byteLimit(), sr.ar()));
            }
            j.put("gdtr_limit", r.gdtrLimit());
            out.result(j, h.toString().stripTrailing());
            return ExitCode.OK;
        }
    }

    @Command(name = "read", sortOptions = false, usageHelpAutoWidth = true,
            header = "Read guest memory at a physical or virtual address (hexdump).",
            description = {"Maps the pages with xenforeignmemory_map and reads LEN bytes across page boundaries.",
                    "--virtual translates through the guest's own page tables (the vCPU's paging mode and CR3 from",
                    "xc_domain_hvm_getcontext_partial, or --cr3): 32-bit, PAE, 4- and 5-level, large pages."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm read 1 0x1000 64", "  xenffm read 1 0xffffffff81000000 16 --virtual",
                    "  xenffm read 1 0x7ffe0000 8 --virtual --cr3 0x1aa000", "", "Exit codes (besides 0-4):",
                    TRANSLATION_EXIT})
    static final class Read extends AddressCommand {
        @Parameters(index = "2", paramLabel = "LEN", description = "bytes to read (at most 1 MiB)") int len;

        @Override int run(Hypervisor hv, Printer out) {
            if (len < 0 || len > 1 << 20) throw new IllegalArgumentException("LEN must be 0..1048576");
            long a = Args.number(addr);
            try (GuestMemory mem = new GuestMemory(hv, domain)) {
                byte[] data = virtual ? mem.readVirtual(space.of(mem), a, len) : mem.readPhysical(a, len);
                out.result(Json.object().put("domain", domain.value()).putUnsigned("address", a)
                                .put("virtual", virtual).put("length", len).put("hex", HexFormat.of().formatHex(data)),
                        hexdump(a, data));
            }
            return ExitCode.OK;
        }
    }

    static String hexdump(long base, byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (int off = 0; off < data.length; off += 16) {
            sb.append(String.format("%016x  ", base + off));
            StringBuilder ascii = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (off + i < data.length) {
                    int b = data[off + i] & 0xff;
                    sb.append(String.format("%02x ", b));
                    ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                } else sb.append("   ");
                if (i == 7) sb.append(' ');
            }
            sb.append(" |").append(ascii).append("|\n");
        }
        return sb.toString().stripTrailing();
    }

    @Command(name = "write", sortOptions = false, usageHelpAutoWidth = true,
            header = "Write bytes into guest memory at a physical or virtual address.",
            description = {"Maps the pages writable (a shared page is unshared first, as Xen does for a writable",
                    "foreign mapping) and writes the bytes, across page boundaries. --virtual as for read."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm write 1 0x1000 deadbeef", "  xenffm write 1 0x401000 cc --virtual", "",
                    "Exit codes (besides 0-4):", TRANSLATION_EXIT})
    static final class Write extends AddressCommand {
        @Parameters(index = "2", paramLabel = "HEX", description = "the bytes, as hex digits (e.g. 90cc)") String hex;

        @Override int run(Hypervisor hv, Printer out) {
            byte[] data;
            try {
                data = HexFormat.of().parseHex(hex.startsWith("0x") ? hex.substring(2) : hex);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("HEX must be an even number of hex digits: " + hex);
            }
            long a = Args.number(addr);
            try (GuestMemory mem = new GuestMemory(hv, domain)) {
                if (virtual) mem.writeVirtual(space.of(mem), a, data);
                else mem.writePhysical(a, data);
            }
            out.result(Json.object().put("domain", domain.value()).putUnsigned("address", a).put("virtual", virtual)
                    .put("length", data.length), "wrote " + data.length + " bytes at " + Args.hex(a)
                    + (virtual ? " (virtual)" : "") + " in " + domain);
            return ExitCode.OK;
        }
    }

    @Command(name = "translate", sortOptions = false, usageHelpAutoWidth = true,
            header = "Translate a guest-virtual address and show the whole page walk.",
            description = {"Walks the guest's page tables (the vCPU's paging mode and CR3, or --cr3) and prints every",
                    "level's table, index and entry, the guest-physical address, the page size and the effective",
                    "permissions. A non-present entry stops the walk: exit code 5 and the failing level."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm translate 1 0xffffffff81000000",
                    "  xenffm --json translate 1 0x401000 --cr3 0x1aa000", "", "Exit codes (besides 0-4):",
                    TRANSLATION_EXIT})
    static final class Translate extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VA", description = "guest-virtual address") String va;
        @picocli.CommandLine.ArgGroup(exclusive = false) Space space = new Space();

        @Override int run(Hypervisor hv, Printer out) {
            long v = Args.number(va);
            try (GuestMemory mem = new GuestMemory(hv, domain)) {
                AddressSpace as = space.of(mem);
                Translation t = mem.translate(as, v);
                List<Json> walk = new ArrayList<>();
                StringBuilder h = new StringBuilder(String.format("%#x (%s, cr3 %#x)%n", v, as.mode(), as.cr3()));
                for (Translation.Level l : t.walk()) {
                    walk.add(Json.object().put("level", l.level()).put("table", l.name())
                            .putUnsigned("table_gpa", l.tableGpa()).put("index", l.index()).putUnsigned("entry", l.entry()));
                    h.append(String.format("  %-4s %#012x [%3d] = %#018x%n", l.name(), l.tableGpa(), l.index(), l.entry()));
                }
                h.append(String.format("  -> gpa %#x (gfn %#x), %s page, %s%s%s", t.gpa(), t.gfn(), size(t.pageSize()),
                        t.writable() ? "rw" : "ro", t.user() ? " user" : " supervisor", t.noExecute() ? " nx" : ""));
                out.result(Json.object().put("domain", domain.value()).putUnsigned("va", v)
                        .put("mode", as.mode().name()).putUnsigned("cr3", as.cr3()).putUnsigned("gpa", t.gpa())
                        .putUnsigned("page_size", t.pageSize()).put("writable", t.writable()).put("user", t.user())
                        .put("nx", t.noExecute()).put("walk", walk), h.toString());
            }
            return ExitCode.OK;
        }

        private static String size(long s) {
            return s >= 1 << 30 ? (s >> 30) + " GiB" : s >= 1 << 20 ? (s >> 20) + " MiB" : (s >> 10) + " KiB";
        }
    }

    @Command(name = "populate", sortOptions = false, usageHelpAutoWidth = true,
            header = "Give a domain fresh pages at the given gfns (xc_domain_populate_physmap_exact).",
            description = {"Allocates a zeroed page for each gfn and maps it (an existing page there is replaced).",
                    "--raise-max first raises the domain's max_pages by the number of gfns (xc_domain_setmaxmem),",
                    "as DRAKVUF does before populating a page beyond max_gpfn. EBUSY: max_pages reached or the host",
                    "is out of memory (gfns before the failing one stay populated)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm populate 1 0x100000 --raise-max",
                    "  xenffm --json populate 1 0x2000+4"})
    static final class Populate extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;
        @Option(names = "--raise-max", description = "raise max_pages by the gfn count first") boolean raiseMax;

        @Override int run(Hypervisor hv, Printer out) {
            DomainInfo before = hv.domainGetinfo(domain);
            if (raiseMax) hv.domainSetmaxmem(domain, (before.maxPages() + range.count()) * 4);
            hv.domainPopulatePhysmapExact(domain, gfns(range));
            return report(hv, out, domain, range, before, "populated");
        }
    }

    @Command(name = "decrease", sortOptions = false, usageHelpAutoWidth = true,
            header = "Drop a domain's pages at the given gfns (xc_domain_decrease_reservation_exact).",
            description = {"Frees each gfn's page (a shared page is unshared first, releasing its sharing reference).",
                    "An altp2m view that remapped one of the gfns onto another (the gfn is in its remapped range) is",
                    "reset by Xen; views holding the gfn lose that entry. EINVAL: a gfn has no page (gfns before it",
                    "are dropped)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm decrease 1 0x100000", "  xenffm --json decrease 1 0x2000+4"})
    static final class Decrease extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            DomainInfo before = hv.domainGetinfo(domain);
            hv.domainDecreaseReservationExact(domain, gfns(range));
            return report(hv, out, domain, range, before, "dropped");
        }
    }

    private static List<Gfn> gfns(Args.GfnRange r) {
        if (r.count() > 1 << 20) throw new IllegalArgumentException("at most 1048576 gfns at once");
        List<Gfn> l = new ArrayList<>((int) r.count());
        for (long i = 0; i < r.count(); i++) l.add(r.first().plus(i));
        return l;
    }

    private static int report(Hypervisor hv, Printer out, DomainId d, Args.GfnRange r, DomainInfo before, String verb) {
        DomainInfo after = hv.domainGetinfo(d);
        long maxGpfn = hv.domainMaximumGpfn(d);
        out.result(Json.object().put("domain", d.value()).putUnsigned("first", r.first().value())
                        .putUnsigned("last", r.last().value()).put("count", r.count())
                        .put("tot_pages_before", before.totPages()).put("tot_pages_after", after.totPages())
                        .put("max_pages", after.maxPages()).putUnsigned("max_gpfn", maxGpfn),
                verb + " " + r + " in " + d + "; tot_pages " + before.totPages() + " -> " + after.totPages()
                        + ", max_pages " + after.maxPages() + ", max_gpfn " + Args.hex(maxGpfn));
        return ExitCode.OK;
    }
}
