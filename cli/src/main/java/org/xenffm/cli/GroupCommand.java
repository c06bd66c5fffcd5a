// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** A verb that only groups sub-verbs (altp2m, access): invoked alone it prints its usage, exit code 2. */
abstract class GroupCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        spec.commandLine().getErr().println("xenffm: " + spec.qualifiedName() + " needs a sub-command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }
}
