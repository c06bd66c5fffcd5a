// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A {@link Ledger} kept in a file that several processes share, as a small database: one writer at a time and
 * every save durable and atomic. No hypervisor calls.
 *
 * <ul>
 *   <li><b>One writer.</b> {@link #lock} takes an exclusive OS lock (fcntl, via {@link FileChannel#tryLock}) on the
 *   sibling file {@code FILE.lock} and holds it until {@link #close}: the whole read → Xen calls → save cycle of one
 *   process is atomic with respect to every other. Threads of one JVM are serialized too (the OS lock is per
 *   process). The lock file names its holder (pid and purpose) so a waiting process can say whom it waits for.</li>
 *   <li><b>Old or new, never half.</b> {@link #save} writes a temporary file in the same directory, fsyncs it,
 *   renames it over FILE atomically and fsyncs the directory: after a crash or {@code kill -9} at any point FILE is
 *   the previous ledger or the new one, and once save returns the new one survives a power cut.</li>
 *   <li><b>Strict.</b> {@link #read} refuses what is not UTF-8 and what {@link Ledger#read} refuses, naming the
 *   line.</li>
 * </ul>
 */
public final class LedgerFile implements AutoCloseable {
    private static final Map<Path, Semaphore> IN_THIS_JVM = new ConcurrentHashMap<>();
    private static final String TMP_PREFIX = ".xenffm-ledger-";
    private static final long POLL_MS = 50;

    private final Path file;
    private final Path dir;
    private final Semaphore jvmLock;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** The file's text as last read or saved: what the ledger on disk holds. */
    private String onDisk = "";
    private boolean closed;

    private LedgerFile(Path file, Semaphore jvmLock, FileChannel lockChannel, FileLock lock) {
        this.file = file;
        this.dir = file.getParent();
        this.jvmLock = jvmLock;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Takes the ledger's writer lock, waiting up to {@code wait} (null: for as long as it takes) while another
     * process or thread holds it; {@code waiting} is told once, with the holder, if the lock is not free at once.
     * Removes temporary files an earlier writer left behind when it was killed mid-save.
     *
     * @param file the ledger file (its directory must exist)
     * @param wait how long to wait for another writer; null: as long as it takes
     * @param holder written into the lock file for whoever waits, e.g. {@code "xenffm keep"}
     * @param waiting told once, with the holder, when the lock is not free at once
     * @return the locked ledger file; close it to release the lock
     * @throws LedgerException BUSY when {@code wait} passed, UNUSABLE when the directory is missing or the lock file
     *         cannot be created or locked (read-only file system, permissions, not a directory)
     */
    public static LedgerFile lock(Path file, Duration wait, String holder, Consumer<String> waiting) {
        Path abs = file.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new LedgerException(LedgerException.Kind.UNUSABLE, abs, "its directory " + dir + " does not exist",
                    null);
        if (Files.isDirectory(abs))
            throw new LedgerException(LedgerException.Kind.UNUSABLE, abs, "it is a directory", null);
        long deadline = wait == null ? Long.MAX_VALUE : System.nanoTime() + wait.toNanos();
        Semaphore jvm = IN_THIS_JVM.computeIfAbsent(abs, k -> new Semaphore(1, true));
        boolean told = false;
        try {
            if (!jvm.tryAcquire()) {
                waiting.accept("waiting for the ledger " + abs + ": another run in this process holds it");
                told = true;
                if (!jvm.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                    throw new LedgerException(LedgerException.Kind.BUSY, abs, "another run in this process holds it",
                            null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LedgerException(LedgerException.Kind.BUSY, abs, "interrupted while waiting for its lock", e);
        }
        Path lockPath = abs.resolveSibling(abs.getFileName() + ".lock");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock l;
            while ((l = ch.tryLock()) == null) {
                if (!told) {
                    waiting.accept("waiting for the ledger " + abs + ", locked by " + holderOf(lockPath));
                    told = true;
                }
                if (System.nanoTime() >= deadline)
                    throw new LedgerException(LedgerException.Kind.BUSY, abs, "locked by " + holderOf(lockPath), null);
                Thread.sleep(POLL_MS);
            }
            nameHolder(ch, holder);
            LedgerFile f = new LedgerFile(abs, jvm, ch, l);
            f.removeStaleTemporaries();
            return f;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            closeQuietly(ch);
            jvm.release();
            if (e instanceof LedgerException le) throw le;
            throw new LedgerException(LedgerException.Kind.UNUSABLE, abs,
                    "cannot create or lock " + lockPath + ": " + describe(e), e);
        }
    }

    /** Best effort (a full disk must not stop a run that can still save in place of the old ledger). */
    private static void nameHolder(FileChannel ch, String holder) {
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((holder + " (pid " + ProcessHandle.current().pid() + ")\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException ignored) {
            // waiting runs then say "another process"
        }
    }

    private static String holderOf(Path lockPath) {
        try {
            String s = Files.readString(lockPath, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "another process" : s;
        } catch (IOException | RuntimeException e) {
            return "another process";
        }
    }

    /**
     * The ledger file.
     *
     * @return its absolute path
     */
    public Path path() { return file; }

    /**
     * Reads the ledger; an empty one if the file does not exist yet.
     *
     * @return the ledger
     * @throws LedgerFormatException a malformed record (names the line)
     * @throws LedgerException UNREADABLE: not readable, not UTF-8, or an I/O error
     */
    public Ledger read() {
        checkOpen();
        if (!Files.exists(file)) {
            onDisk = "";
            return new Ledger();
        }
        String text;
        try {
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new LedgerException(LedgerException.Kind.UNREADABLE, file, "it is not UTF-8 text", e);
        } catch (IOException e) {
            throw new LedgerException(LedgerException.Kind.UNREADABLE, file, describe(e), e);
        }
        Ledger l = Ledger.read(new StringReader(text));
        onDisk = text;
        return l;
    }

    /**
     * Saves {@code ledger} durably: temporary file, fsync, atomic rename over the ledger, fsync of the directory.
     * On failure the file still holds what it held before and the exception says which facts it now lacks.
     *
     * @param ledger what to save
     * @throws LedgerException SAVE_FAILED (disk full, read-only file system, permissions, I/O error)
     */
    public void save(Ledger ledger) { save(textOf(ledger)); }

    /**
     * As {@link #save(Ledger)}, for a ledger another lock guards ({@link SharingAwareAltp2m#writeLedger}).
     *
     * @param keeper whose ledger to save
     * @throws LedgerException SAVE_FAILED, as {@link #save(Ledger)}
     */
    public void save(SharingAwareAltp2m keeper) {
        StringWriter w = new StringWriter();
        keeper.writeLedger(w);
        save(w.toString());
    }

    private void save(String text) {
        checkOpen();
        if (text.equals(onDisk) && Files.exists(file)) return;
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, TMP_PREFIX, ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            tmp = null;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // the rename itself must survive a power cut
            }
            onDisk = text;
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // removed at the next lock(); the ledger itself is untouched
                }
            }
            throw new LedgerException(LedgerException.Kind.SAVE_FAILED, file, describe(e), e, unsaved(onDisk, text));
        }
    }

    /** The facts that {@code now} has and {@code before} lacks ("+ …") and the reverse ("- …"), one per line. */
    static List<String> unsaved(String before, String now) {
        Set<String> old = facts(before), cur = facts(now);
        List<String> out = new ArrayList<>();
        for (String f : cur) if (!old.contains(f)) out.add("+ " + f);
        for (String f : old) if (!cur.contains(f)) out.add("- " + f);
        return out;
    }

    private static Set<String> facts(String text) {
        Set<String> s = new LinkedHashSet<>();
        for (String l : text.split("\n")) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("#")) s.add(t);
        }
        return s;
    }

    static String textOf(Ledger l) {
        StringWriter w = new StringWriter();
        l.write(w);
        return w.toString();
    }

    private void removeStaleTemporaries() {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, TMP_PREFIX + "*.tmp")) {
            for (Path p : s) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException ignored) {
            // a read-only directory keeps them; they are never read
        }
    }

    private static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) return "no such file or directory: " + n.getFile();
        if (e instanceof AccessDeniedException a) return "permission denied (or read-only file system): " + a.getFile();
        String m = e.getMessage();
        if (m != null && m.contains("No space left on device")) return "no space left on device";
        if (m != null && m.contains("Read-only file system")) return "read-only file system";
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("ledger " + file + " was closed");
    }

    /** Releases the lock (no save). Idempotent. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            lock.release();
        } catch (IOException | RuntimeException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(lockChannel);
        jvmLock.release();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to undo
        }
    }
}
