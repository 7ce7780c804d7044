package io.modelprefetch.runners;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command-line entry point: {@code model-prefetch [run|doctor|demo] [options]}. */
@Command(
    name = "prefetch",
    description =
        "Prefetch model weights from S3-compatible object storage (S3, Volcano Engine TOS) with Apache Beam.",
    mixinStandardHelpOptions = true,
    version = "model-prefetch 0.1.0")
public final class Main {

  private static final Set<String> COMMANDS = Set.of("run", "status", "doctor", "demo", "help");

  /** What a command reads and writes: the environment and the two output streams. */
  record Context(Map<String, String> env, PrintStream out, PrintStream err) {}

  private Main() {}

  public static void main(String[] args) {
    // Before anything logs: no credential reaches stdout or stderr, whoever prints it.
    io.modelprefetch.transforms.text.Redaction.addSecretsOf(System.getenv());
    RedactingStream.install();
    configureLogging(args);
    System.exit(execute(args, new Context(System.getenv(), System.out, System.err)));
  }

  /** Runs the command line in this JVM and returns the exit status. */
  static int execute(String[] args, Context context) {
    String[] effective = args;
    if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
      // run is the default command: its options are what a user asking for help needs.
      effective = new String[] {"run", "--help"};
    } else if (args.length == 0 || (!COMMANDS.contains(args[0]) && !isTopLevelFlag(args[0]))) {
      effective = new String[args.length + 1];
      effective[0] = "run";
      System.arraycopy(args, 0, effective, 1, args.length);
    }
    CommandLine cli =
        new CommandLine(new Main())
            .addSubcommand(new CommandLine(new RunCommand(context)))
            .addSubcommand(new CommandLine(new StatusCommand(context)))
            .addSubcommand(new CommandLine(new DoctorCommand(context)))
            .addSubcommand(new CommandLine(new DemoCommand(context)))
            .addSubcommand(new CommandLine.HelpCommand());
    cli.setOut(new PrintWriter(context.out(), true));
    cli.setErr(new PrintWriter(context.err(), true));
    cli.setParameterExceptionHandler(
        (e, a) -> {
          context
              .err()
              .println(
                  "model-prefetch: "
                      + e.getMessage()
                      + "; see 'prefetch "
                      + commandName(e)
                      + " --help'");
          return PrefetchRun.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UsageException) {
            context.err().println("model-prefetch: " + e.getMessage());
            return PrefetchRun.USAGE;
          }
          context.err().println("model-prefetch: " + failureMessage(e));
          return PrefetchRun.FAILED;
        });
    if (args.length == 0) {
      // Nothing to do: what could be done, on stderr (stdout carries only model paths), as bad
      // input.
      Objects.requireNonNull(cli.getSubcommands().get("run"), "run is a subcommand")
          .usage(context.err());
      context
          .err()
          .println(
              "model-prefetch: nothing to fetch: give --model-uri s3://bucket/prefix/ (or tos://...) or"
                  + " --manifest FILE");
      return PrefetchRun.USAGE;
    }
    return cli.execute(effective);
  }

  /**
   * What a failed command says, on one line: an I/O failure's message names the path and what to
   * do; other failures say their kind too.
   */
  static String failureMessage(Exception e) {
    String message =
        e instanceof java.io.IOException && e.getMessage() != null ? e.getMessage() : e.toString();
    return io.modelprefetch.transforms.text.Printable.oneLine(message);
  }

  private static boolean isTopLevelFlag(String arg) {
    return arg.equals("-V") || arg.equals("--version");
  }

  private static String commandName(CommandLine.ParameterException e) {
    String name = e.getCommandLine().getCommandName();
    return name.equals("prefetch") ? "" : name;
  }

  /**
   * Quiet by default: warnings from libraries, our own progress at info; {@code --verbose} for
   * more.
   */
  private static void configureLogging(String[] args) {
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
    setIfAbsent("org.slf4j.simpleLogger.log.io.modelprefetch", verbose ? "debug" : "info");
    if (!verbose) {
      // Embedded Flink warns once per operator whose Beam name is longer than 80 characters.
      setIfAbsent("org.slf4j.simpleLogger.log.org.apache.flink.metrics.MetricGroup", "error");
    }
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
