// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.xentoollog_logger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A {@code xentoollog_logger} whose vmessage/progress/destroy are upcall stubs, handed to xc_interface_open,
 * xenevtchn_open and xenforeignmemory_open so libxc's own messages go to SLF4J (logger
 * {@code org.xenffm.xen.libxc.<context>}, e.g. {@code ...libxc.xencall}) instead of raw to stderr, which is
 * where libxc writes when given no logger.
 *
 * <p>libxc calls {@code vmessage(logger, level, errnoval, context, format, va_list)}; the message is formatted by
 * libc's vsnprintf with that va_list (a pointer on x86-64), then {@code ": " + strerror(errnoval)} is appended as
 * libxc's stdio logger does. xtl_logv saves and restores errno around vmessage (xtl_core.c), so logging from a
 * failing call does not disturb the errno the caller captures. An upcall must never throw (the JVM would abort),
 * so every failure inside one is swallowed after a best-effort report.
 */
public final class XenLog {
    /**
     * One libxc message.
     *
     * @param level      the xentoollog level (XTL_*)
     * @param context    "xc", "xencall", ... or null
     * @param errnoValue the errno libxc reported, or -1
     * @param text       the formatted message
     */
    public record Message(int level, String context, int errnoValue, String text) {}

    private static final int MAX_MESSAGE = 4096;
    private static volatile XenLog slf4j;

    private final Consumer<Message> sink;
    private final BiPredicate<Integer, String> wanted;
    private final MemorySegment logger;
    private final boolean relays;

    /** A logger whose stubs and struct live in {@code arena}; it must outlive every handle opened with it. */
    XenLog(Consumer<Message> sink, Arena arena) {
        this(sink, (level, context) -> true, arena);
    }

    /**
     * As above, formatting only the messages {@code wanted(level, context)} accepts: vsnprintf and strerror are
     * downcalls whose stubs the JVM generates on first use, a cost not worth paying for a line nobody logs (the CLI
     * shows libxc's lines only with --verbose, so `xenffm info` off Xen would pay it at every start).
     */
    XenLog(Consumer<Message> sink, BiPredicate<Integer, String> wanted, Arena arena) {
        this.sink = sink;
        this.wanted = wanted;
        relays = true;
        logger = xentoollog_logger.allocate(arena);
        xentoollog_logger.vmessage(logger, stub("vmessage", VMESSAGE, arena));
        xentoollog_logger.progress(logger, stub("progress", PROGRESS, arena));
        xentoollog_logger.destroy(logger, stub("destroy", DESTROY, arena));
    }

    // The three function-pointer types of struct xentoollog_logger (xentoollog.h). Spelled out here rather than taken
    // from the generated xentoollog_logger.vmessage/progress/destroy classes: their static initialisers link a
    // downcall handle, a restricted call made from the bindings' module, which would then need native access of its
    // own. XenLogTest checks these against the generated descriptors.
    static final FunctionDescriptor VMESSAGE = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
            ADDRESS);
    static final FunctionDescriptor PROGRESS = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
            JAVA_LONG, JAVA_LONG);
    static final FunctionDescriptor DESTROY = FunctionDescriptor.ofVoid(ADDRESS);

    private MemorySegment stub(String method, FunctionDescriptor d, Arena arena) {
        try {
            MethodHandle mh = MethodHandles.lookup().findVirtual(XenLog.class, method, d.toMethodType()).bindTo(this);
            return Linker.nativeLinker().upcallStub(mh, d, arena);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** A logger made in C that relays nothing (see {@link #discarding()}). */
    private XenLog(MemorySegment nativeLogger) {
        sink = m -> {};
        wanted = (level, context) -> false;
        relays = false;
        logger = nativeLogger;
    }

    /**
     * A logger that drops every message inside libxentoollog: its own stdio logger
     * ({@code xtl_createlogger_stdiostream(stderr, XTL_NUM_LEVELS, 0)}), whose vmessage returns for any level below
     * its minimum (all of them) and whose progress returns without XTL_STDIOSTREAM_HIDE_PROGRESS (xtl_logger_stdio.c).
     * No upcall: the three upcall stubs of a relaying logger are classes the JVM generates at run time, the largest
     * cost of opening a handle off Xen. Empty if libxentoollog cannot make one.
     */
    static java.util.Optional<XenLog> discarding() {
        try {
            Linker linker = Linker.nativeLinker();
            java.lang.foreign.SymbolLookup xtl = java.lang.foreign.SymbolLookup.libraryLookup("libxentoollog.so.1",
                    Arena.global());
            MemorySegment stderr = linker.defaultLookup().findOrThrow("stderr").reinterpret(ADDRESS.byteSize())
                    .get(ADDRESS, 0);
            MethodHandle create = linker.downcallHandle(xtl.findOrThrow("xtl_createlogger_stdiostream"),
                    CREATE_STDIOSTREAM);
            MemorySegment logger = (MemorySegment) create.invokeExact(stderr, Xen.XTL_NUM_LEVELS(), 0);
            return logger.equals(MemorySegment.NULL) ? java.util.Optional.empty()
                    : java.util.Optional.of(new XenLog(logger));
        } catch (Throwable t) { // no libxentoollog (no Xen libraries) or no native access: relay instead
            return java.util.Optional.empty();
        }
    }

    // xentoollog_logger_stdiostream *xtl_createlogger_stdiostream(FILE *f, xentoollog_level min_level, unsigned flags)
    static final FunctionDescriptor CREATE_STDIOSTREAM = FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT);

    /** {@return whether this logger hands libxc's messages to its sink (false: libxentoollog drops them)} */
    boolean relays() { return relays; }

    /** xentoollog's destroy: the logger is freed with its arena, nothing to do. */
    @SuppressWarnings("unused")
    private void destroy(MemorySegment self) {}

    /**
     * The system property that says where libxc's own messages go, read when the process-wide logger is made
     * ({@link #slf4j()}): {@code slf4j} (the default) relays each to its context's SLF4J logger; {@code off} drops
     * them inside libxentoollog, without an upcall and without initialising SLF4J (the CLI without --verbose).
     */
    public static final String PROPERTY = "xenffm.libxc.log";

    /**
     * The process-wide logger handed to libxc; it is never freed because libxc may log through it until exit.
     * Made at its first use, as {@value #PROPERTY} then says: relaying to SLF4J (logger
     * {@code org.xenffm.xen.libxc.<context>}), or with {@code off} dropping every message in C
     * ({@link #discarding()}).
     *
     * @return the logger to hand to libxc
     */
    public static XenLog slf4j() {
        XenLog l = slf4j;
        if (l == null) {
            synchronized (XenLog.class) {
                if ((l = slf4j) == null) {
                    XenLog quiet = "off".equals(System.getProperty(PROPERTY)) ? discarding().orElse(null) : null;
                    slf4j = l = quiet != null ? quiet
                            : new XenLog(XenLog::toSlf4j, XenLog::enabledInSlf4j, Arena.global());
                }
            }
        }
        return l;
    }

    private static final String LIBXC = "org.xenffm.xen.libxc";

    /** {@return the {@code xentoollog_logger *} to pass to libxc} */
    public MemorySegment logger() { return logger; }

    private void vmessage(MemorySegment self, int level, int errnoval, MemorySegment context, MemorySegment format,
                          MemorySegment vaList) {
        try {
            if (!wanted.test(level, string(context))) return;
            String text = format(format, vaList);
            if (errnoval >= 0) text += ": " + LibC.strerror(errnoval);
            sink.accept(new Message(level, string(context), errnoval, text));
        } catch (Throwable t) {
            report(t);
        }
    }

    private void progress(MemorySegment self, MemorySegment context, MemorySegment doingWhat, int percent,
                          long done, long total) {
        try {
            if (!wanted.test(Xen.XTL_PROGRESS(), string(context))) return;
            sink.accept(new Message(Xen.XTL_PROGRESS(), string(context), -1,
                    string(doingWhat) + ": " + percent + "% (" + Long.toUnsignedString(done) + "/"
                    + Long.toUnsignedString(total) + ")"));
        } catch (Throwable t) {
            report(t);
        }
    }

    /** vsnprintf(format, va_list) into a bounded buffer; a longer message is cut and marked. */
    static String format(MemorySegment format, MemorySegment vaList) throws Throwable {
        if (format.equals(MemorySegment.NULL)) return "";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(MAX_MESSAGE);
            int n = (int) LibC.vsnprintf.handle().invokeExact(Downcall.errnoSlot(), buf, (long) MAX_MESSAGE, format,
                    vaList);
            if (n < 0) return string(format); // encoding error: show the raw format rather than nothing
            String s = buf.getString(0);
            return n >= MAX_MESSAGE ? s + "...(truncated)" : s;
        }
    }

    private static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? null : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    private static void toSlf4j(Message m) {
        slf4jLogger(m.context()).atLevel(slf4jLevel(m.level())).log(m.text());
    }

    private static boolean enabledInSlf4j(int level, String context) {
        return slf4jLogger(context).isEnabledForLevel(slf4jLevel(level));
    }

    private static Logger slf4jLogger(String context) {
        return LoggerFactory.getLogger(LIBXC + "." + (context == null ? "xc" : context));
    }

    /** xentoollog levels (XTL_DEBUG..XTL_CRITICAL) onto SLF4J's five. */
    static Level slf4jLevel(int xtl) {
        if (xtl <= Xen.XTL_DEBUG()) return Level.TRACE;
        if (xtl <= Xen.XTL_DETAIL()) return Level.DEBUG;       // verbose, detail
        if (xtl <= Xen.XTL_NOTICE()) return Level.INFO;        // progress, info, notice
        if (xtl == Xen.XTL_WARN()) return Level.WARN;
        return Level.ERROR;                                    // error, critical
    }

    private static void report(Throwable t) {
        try {
            Logger log = LoggerFactory.getLogger(XenLog.class);
            log.warn("could not relay a libxc log message: {}", t.toString());
            log.debug("relay failure", t);
        } catch (Throwable ignored) {
            // nothing left to do inside an upcall
        }
    }
}
