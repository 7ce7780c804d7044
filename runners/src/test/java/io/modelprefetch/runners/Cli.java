package io.modelprefetch.runners;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs the command line in this JVM with a given environment and captures its output. */
record Cli(int status, String out, String err) {

  static Cli run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = Main.execute(args, new Main.Context(env, o, e));
    }
    return new Cli(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Starts the command line on its own thread; its stderr can be read while it runs. */
  static Running start(Map<String, String> env, String... args) {
    return new Running(env, args);
  }

  /** A command line running on its own thread. */
  static final class Running {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread thread;
    private volatile int status = -1;

    Running(Map<String, String> env, String[] args) {
      PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
      PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
      thread = new Thread(() -> status = Main.execute(args, new Main.Context(env, o, e)), "cli");
      thread.start();
    }

    /** What the command printed on stderr so far. */
    String errSoFar() {
      return err.toString(StandardCharsets.UTF_8);
    }

    Cli join() throws InterruptedException {
      thread.join();
      return new Cli(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  @Override
  public String toString() {
    return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
}
