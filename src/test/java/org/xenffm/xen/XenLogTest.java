// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import org.xenffm.bindings.xen417.Xen;

/**
 * XenLog driven by libxentoollog itself: xtl_log (variadic, so C builds a real va_list) and xtl_progress call
 * our upcall stubs exactly as libxc does.
 */
class XenLogTest {
    /** XenLog's own function-pointer descriptors are xentoollog.h's, as jextract read them, in every release. */
    @Test
    void upcallDescriptorsAreTheGeneratedOnes() {
        assertEquals(org.xenffm.bindings.xen417.xentoollog_logger.vmessage.descriptor(), XenLog.VMESSAGE);
        assertEquals(org.xenffm.bindings.xen417.xentoollog_logger.progress.descriptor(), XenLog.PROGRESS);
        assertEquals(org.xenffm.bindings.xen417.xentoollog_logger.destroy.descriptor(), XenLog.DESTROY);
        assertEquals(org.xenffm.bindings.xen420.xentoollog_logger.vmessage.descriptor(), XenLog.VMESSAGE);
        assertEquals(org.xenffm.bindings.xen420.xentoollog_logger.progress.descriptor(), XenLog.PROGRESS);
        assertEquals(org.xenffm.bindings.xen420.xentoollog_logger.destroy.descriptor(), XenLog.DESTROY);
    }

    static final SymbolLookup XTL = SymbolLookup.libraryLookup("libxentoollog.so.1", Arena.global());
    // void xtl_log(logger, level, errnoval, context, format, ...) — here with one int and one string vararg
    static final MethodHandle XTL_LOG = Linker.nativeLinker().downcallHandle(XTL.findOrThrow("xtl_log"),
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS),
            Linker.Option.firstVariadicArg(5));
    static final MethodHandle XTL_PROGRESS = Linker.nativeLinker().downcallHandle(
            XTL.findOrThrow("xtl_progress"),
            FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));

    final List<XenLog.Message> seen = new CopyOnWriteArrayList<>();
    final Arena arena = Arena.ofAuto();
    final XenLog log = new XenLog(seen::add, arena);

    void xtlLog(int level, int errnoval, String context, String format, int i, String s) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            XTL_LOG.invokeExact(log.logger(), level, errnoval, a.allocateFrom(context), a.allocateFrom(format), i,
                    a.allocateFrom(s));
        }
    }

    @Test
    void formatsTheVaListAndAppendsTheErrnoText() throws Throwable {
        xtlLog(Xen.XTL_ERROR(), 2, "xencall", "attempt %d on %s", 3, "privcmd");
        assertEquals(1, seen.size());
        XenLog.Message m = seen.get(0);
        assertEquals("attempt 3 on privcmd: No such file or directory", m.text());
        assertEquals(Xen.XTL_ERROR(), m.level());
        assertEquals("xencall", m.context());
        assertEquals(2, m.errnoValue());
    }

    @Test
    void noErrnoTextWhenErrnovalIsMinusOne() throws Throwable {
        xtlLog(Xen.XTL_DETAIL(), -1, "xc", "%d pages from %s", 8209, "d1");
        assertEquals("8209 pages from d1", seen.get(0).text());
        assertEquals(-1, seen.get(0).errnoValue());
    }

    @Test
    void longMessagesAreCutAndMarked() throws Throwable {
        String big = "x".repeat(10_000);
        xtlLog(Xen.XTL_WARN(), -1, "xc", "%d:%s", 7, big);
        String text = seen.get(0).text();
        assertTrue(text.startsWith("7:xxxx"), text.substring(0, 10));
        assertTrue(text.endsWith("...(truncated)"));
        assertEquals(4095 + "...(truncated)".length(), text.length()); // vsnprintf keeps size-1 chars
    }

    @Test
    void progressIsRelayed() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            XTL_PROGRESS.invokeExact(log.logger(), a.allocateFrom("xc"), a.allocateFrom("copying"), 50L, 200L);
        }
        assertEquals("copying: 25% (50/200)", seen.get(0).text());
        assertEquals(Xen.XTL_PROGRESS(), seen.get(0).level());
    }

    @Test
    void onlyWantedMessagesAreFormattedAndRelayed() throws Throwable {
        List<String> asked = new CopyOnWriteArrayList<>();
        XenLog errorsOnly = new XenLog(seen::add, (level, context) -> {
            asked.add(level + " " + context);
            return level >= Xen.XTL_ERROR();
        }, arena);
        try (Arena a = Arena.ofConfined()) {
            XTL_LOG.invokeExact(errorsOnly.logger(), Xen.XTL_DETAIL(), -1, a.allocateFrom("xc"),
                    a.allocateFrom("%d %s"), 1, a.allocateFrom("skipped"));
            XTL_PROGRESS.invokeExact(errorsOnly.logger(), a.allocateFrom("xc"), a.allocateFrom("copying"), 1L, 2L);
            XTL_LOG.invokeExact(errorsOnly.logger(), Xen.XTL_ERROR(), -1, a.allocateFrom("xencall"),
                    a.allocateFrom("%d %s"), 2, a.allocateFrom("kept"));
        }
        assertEquals(List.of(Xen.XTL_DETAIL() + " xc", Xen.XTL_PROGRESS() + " xc", Xen.XTL_ERROR() + " xencall"),
                asked);
        assertEquals(List.of("2 kept"), seen.stream().map(XenLog.Message::text).toList());
    }

    @Test
    void aThrowingSinkDoesNotCrashTheUpcall() throws Throwable {
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        XenLog bad = new XenLog(m -> {
            calls.incrementAndGet();
            throw new IllegalStateException("sink broke");
        }, arena);
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < 2; i++)
                XTL_LOG.invokeExact(bad.logger(), Xen.XTL_ERROR(), -1, a.allocateFrom("xc"),
                        a.allocateFrom("%d %s"), i, a.allocateFrom("x"));
        }
        // an exception escaping an upcall would have terminated this JVM after the first call
        assertEquals(2, calls.get());
    }

    @Test
    void xentoollogLevelsMapOntoSlf4j() {
        assertEquals(Level.TRACE, XenLog.slf4jLevel(Xen.XTL_DEBUG()));
        assertEquals(Level.DEBUG, XenLog.slf4jLevel(Xen.XTL_VERBOSE()));
        assertEquals(Level.DEBUG, XenLog.slf4jLevel(Xen.XTL_DETAIL()));
        assertEquals(Level.INFO, XenLog.slf4jLevel(Xen.XTL_PROGRESS()));
        assertEquals(Level.INFO, XenLog.slf4jLevel(Xen.XTL_INFO()));
        assertEquals(Level.INFO, XenLog.slf4jLevel(Xen.XTL_NOTICE()));
        assertEquals(Level.WARN, XenLog.slf4jLevel(Xen.XTL_WARN()));
        assertEquals(Level.ERROR, XenLog.slf4jLevel(Xen.XTL_ERROR()));
        assertEquals(Level.ERROR, XenLog.slf4jLevel(Xen.XTL_CRITICAL()));
    }
}
