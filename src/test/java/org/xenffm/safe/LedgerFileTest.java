// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

/**
 * The ledger file as a database: one writer at a time across threads and processes (no lost update), a save that
 * is the old or the new file whatever moment a {@code kill -9} hits, strict parsing, and saves that fail loudly on
 * a full disk or a read-only file system, naming what the file lacks.
 */
class LedgerFileTest {
    @TempDir Path dir;

    @Test
    void roundTripsEveryRecordKind() {
        Ledger l = new Ledger();
        DomainId d1 = DomainId.of(1), d2 = DomainId.of(2);
        l.book(d2).forkParent = d1;
        l.viewCreated(d1, ViewId.of(3), MemAccess.RX);
        l.view(d1, ViewId.of(3)).orElseThrow().putAccess(Gfn.of(0x100), MemAccess.N);
        l.view(d1, ViewId.of(3)).orElseThrow().putRemap(Gfn.of(0x200), Gfn.of(0x300));
        l.nominated(new Slot(d1, Gfn.of(0xabc)), SharingHandle.of(0xfffffffffff1L));
        String text = LedgerFile.textOf(l);
        assertEquals(text, LedgerFile.textOf(Ledger.read(new StringReader(text))));
        assertTrue(text.contains("shared 1 0xabc 0xfffffffffff1"), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "shared 1 100 0x5",            // a gfn without 0x was once read as gfn 0x0 and saved back
            "shared 1 0x100 5",            // a handle without 0x
            "shared 1 0x1g 0x5",           // not hex
            "shared 1 0x100",              // a field missing
            "shared 1 0x100 0x5 extra",    // a field too many
            "shared -1 0x100 0x5",         // not a domain id
            "shared 0x1 0x100 0x5",        // domains are decimal
            "domain 1 - yes",              // not a boolean
            "domain 40000 - false",        // beyond DOMID_FIRST_RESERVED
            "view 1 1 rwz true",           // not an access
            "view 1 1 RX true",            // accesses are written lower case
            "access 1 1 0x10 rx",          // a view no 'view' line declared
            "grant 1 2 3",                 // unknown record
            "shared 1 0x10000000000000000 0x5"}) // more than 64 bits
    void refusesEveryMalformedLineNamingIt(String bad) {
        String text = "# xenffm ledger v1\ndomain 1 - false\n" + bad + "\n";
        LedgerFormatException e = assertThrows(LedgerFormatException.class, () -> Ledger.read(new StringReader(text)));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("ledger line 3 (" + bad + "): "), e.getMessage());
    }

    @Test
    void refusesANonUtf8File() throws Exception {
        Path f = dir.resolve("ledger");
        Files.write(f, new byte[]{'d', 'o', (byte) 0xff, '\n'});
        try (LedgerFile lf = LedgerFile.lock(f, Duration.ZERO, "test", m -> {})) {
            LedgerException e = assertThrows(LedgerException.class, lf::read);
            assertEquals(LedgerException.Kind.UNREADABLE, e.kind());
            assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
        }
    }

    @Test
    void aMissingDirectoryIsUnusableBeforeAnythingHappens() {
        LedgerException e = assertThrows(LedgerException.class,
                () -> LedgerFile.lock(dir.resolve("nope/ledger"), Duration.ZERO, "test", m -> {}));
        assertEquals(LedgerException.Kind.UNUSABLE, e.kind());
        assertFalse(Files.exists(dir.resolve("nope")));
    }

    @Test @Timeout(60)
    void threadsOfOneProcessLoseNoUpdate() throws Exception {
        Path f = dir.resolve("ledger");
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int base = 1 + t * 25;
            ts.add(Thread.ofPlatform().start(() -> {
                for (int d = base; d < base + 25; d++) LedgerChild.addDomain(f, d);
            }));
        }
        for (Thread t : ts) t.join();
        assertEquals(domains(1, 201), domainsIn(f));
    }

    @Test @Timeout(180)
    void processesSharingOneLedgerLoseNoUpdate() throws Exception {
        Path f = dir.resolve("ledger");
        List<Process> ps = new ArrayList<>();
        for (int p = 0; p < 3; p++)
            ps.add(child("add", f.toString(), Integer.toString(1 + p * 30), Integer.toString(31 + p * 30)).start());
        Thread.ofPlatform().start(() -> { for (int d = 91; d < 121; d++) LedgerChild.addDomain(f, d); }).join();
        for (Process p : ps) {
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), "child did not finish");
            assertEquals(0, p.exitValue(), () -> new String(readAll(p), StandardCharsets.UTF_8));
        }
        assertEquals(domains(1, 121), domainsIn(f), "every process's every update survived");
    }

    @Test @Timeout(240)
    void killNineAtRandomPointsLeavesTheOldOrTheNewLedger() throws Exception {
        Path f = dir.resolve("ledger");
        Random rnd = new Random(14);
        int last = 0;
        for (int round = 0; round < 6; round++) {
            Process p = child("grow", f.toString()).redirectErrorStream(true).start();
            try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                assertEquals("READY", out.readLine(), "child did not start");
                Thread.sleep(rnd.nextInt(400));
                p.destroyForcibly(); // SIGKILL, somewhere inside lock/read/write/fsync/rename
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
            String text = Files.readString(f);
            Ledger l = Ledger.read(new StringReader(text)); // parseable
            int n = l.domains().size();
            assertTrue(n > last, "round " + round + ": the ledger grew (" + last + " → " + n + ")");
            assertEquals(domains(1, n + 1), l.domains(), "generation " + n + " whole, nothing half-written");
            assertEquals(LedgerFile.textOf(l), text, "byte for byte what a save writes");
            last = n;
        }
        LedgerFile.lock(f, Duration.ZERO, "test", m -> {}).close(); // removes what a killed writer left behind
        try (var s = Files.list(dir)) {
            assertEquals(Set.of("ledger", "ledger.lock"),
                    s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test @Timeout(30)
    void aSecondWriterWaitsAndSaysForWhom() throws Exception {
        Path f = dir.resolve("ledger");
        try (LedgerFile held = LedgerFile.lock(f, Duration.ZERO, "xenffm keep", m -> {})) {
            List<String> told = new ArrayList<>();
            LedgerException e = assertThrows(LedgerException.class,
                    () -> LedgerFile.lock(f, Duration.ofMillis(200), "second", told::add));
            assertEquals(LedgerException.Kind.BUSY, e.kind());
            assertEquals(1, told.size(), told::toString);
        }
        Process p = child("add", f.toString(), "1", "2").start(); // another process: waits for the OS lock
        try (LedgerFile held = LedgerFile.lock(f, Duration.ZERO, "xenffm keep", m -> {})) {
            Ledger l = held.read();
            assertFalse(p.waitFor(1, TimeUnit.SECONDS), "the other process waits while the lock is held");
            l.book(DomainId.of(7));
            held.save(l);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(Set.of(DomainId.of(1), DomainId.of(7)), domainsIn(f), "both updates kept");
    }

    @Test @Timeout(60)
    void aFullDiskFailsTheSaveKeepsTheOldLedgerAndSaysWhatItLacks() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(dir.resolve("fs"), "64k")) {
            Path f = fs.dir().resolve("ledger");
            try (LedgerFile lf = LedgerFile.lock(f, Duration.ZERO, "test", m -> {})) {
                Ledger l = lf.read();
                l.book(DomainId.of(1));
                lf.save(l);
                String before = Files.readString(f);
                fs.fill();
                l.nominated(new Slot(DomainId.of(1), Gfn.of(0x42)), SharingHandle.of(0x9));
                LedgerException e = assertThrows(LedgerException.class, () -> lf.save(l));
                assertEquals(LedgerException.Kind.SAVE_FAILED, e.kind());
                assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
                assertEquals(List.of("+ shared 1 0x42 0x9"), e.unsaved());
                assertEquals(before, Files.readString(f), "the old ledger, untouched");
                fs.unfill();
                lf.save(l);
                assertEquals(LedgerFile.textOf(l), Files.readString(f));
            }
        }
    }

    @Test @Timeout(60)
    void aLedgerOnAReadOnlyFileSystemIsRefusedBeforeAnythingHappens() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(dir.resolve("fs"), "1m")) {
            Path f = fs.dir().resolve("ledger");
            try (LedgerFile lf = LedgerFile.lock(f, Duration.ZERO, "test", m -> {})) {
                Ledger l = lf.read();
                l.book(DomainId.of(1));
                lf.save(l);
            }
            fs.readOnly(); // (a remount with the lock file open for writing is refused by the kernel: EBUSY)
            LedgerException e = assertThrows(LedgerException.class,
                    () -> LedgerFile.lock(f, Duration.ZERO, "test", m -> {}));
            assertEquals(LedgerException.Kind.UNUSABLE, e.kind(), "refused before any Xen call");
            assertTrue(e.getMessage().contains("read-only file system"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static ProcessBuilder child(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                LedgerChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    private static byte[] readAll(Process p) {
        try {
            return p.getErrorStream().readAllBytes();
        } catch (java.io.IOException e) {
            return new byte[0];
        }
    }

    private static Set<DomainId> domains(int from, int to) {
        Set<DomainId> s = new TreeSet<>(java.util.Comparator.comparingInt(DomainId::value));
        IntStream.range(from, to).forEach(i -> s.add(DomainId.of(i)));
        return s;
    }

    private static Set<DomainId> domainsIn(Path f) throws Exception {
        Set<DomainId> s = new TreeSet<>(java.util.Comparator.comparingInt(DomainId::value));
        s.addAll(Ledger.read(new StringReader(Files.readString(f))).domains());
        return s;
    }
}
