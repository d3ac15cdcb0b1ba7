package dev.tern.tools;

import dev.tern.auth.PasswordFile;
import dev.tern.auth.PasswordHash;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code tern passwd}: manage a password file as {@code mosquitto_passwd} does (same file format).
 */
@Command(name = "passwd", mixinStandardHelpOptions = true,
    description = "Add, update or delete a user in a password file (mosquitto_passwd format, PBKDF2-SHA512).",
    footer = {"", "Examples:", "  tern passwd -c users.txt alice          (create the file, prompt for the password)",
        "  tern passwd -b users.txt bob s3cret      (add or update, password on the command line)",
        "  tern passwd -D users.txt bob             (delete)"})
public final class PasswdCommand implements Callable<Integer>
{
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "-c", description = "Create the file, replacing an existing one.")
    boolean create;

    @Option(names = "-b", description = "Batch mode: the password is the third argument.")
    boolean batch;

    @Option(names = "-D", description = "Delete the user.")
    boolean delete;

    @Option(names = "--iterations", paramLabel = "N",
        description = "PBKDF2 iterations for the new hash (default: ${DEFAULT-VALUE}).")
    int iterations = PasswordFile.DEFAULT_ITERATIONS;

    @Parameters(index = "0", paramLabel = "FILE", description = "The password file.")
    Path file;

    @Parameters(index = "1", paramLabel = "USER", description = "The user name.")
    String user;

    @Parameters(index = "2", paramLabel = "PASSWORD", arity = "0..1", description = "With -b: the password.")
    String password;

    @Override
    public Integer call() throws Exception
    {
        final CommandLine cli = spec.commandLine();
        if (iterations < 1 || iterations > PasswordHash.MAX_ITERATIONS)
        {
            throw new CommandLine.ParameterException(cli, "--iterations must be 1.." + PasswordHash.MAX_ITERATIONS);
        }
        if (delete)
        {
            if (create || batch || password != null)
            {
                throw new CommandLine.ParameterException(cli, "-D takes only FILE and USER");
            }
            if (!PasswordFile.removeUser(file, user))
            {
                cli.getErr().println("tern passwd: user '" + user + "' is not in " + file);
                return 1;
            }
            return 0;
        }
        final byte[] secret;
        if (batch)
        {
            if (password == null)
            {
                throw new CommandLine.ParameterException(cli, "-b needs the password as third argument");
            }
            secret = password.getBytes(StandardCharsets.UTF_8);
        }
        else
        {
            if (password != null)
            {
                throw new CommandLine.ParameterException(cli, "give the password with -b, or leave it out to be asked");
            }
            final Console console = System.console();
            if (console == null)
            {
                throw new CommandLine.ParameterException(cli, "no terminal to ask for the password: use -b");
            }
            final char[] first = console.readPassword("Password: ");
            final char[] second = console.readPassword("Reenter password: ");
            if (first == null || !Arrays.equals(first, second))
            {
                cli.getErr().println("tern passwd: passwords do not match");
                return 1;
            }
            secret = new String(first).getBytes(StandardCharsets.UTF_8);
            Arrays.fill(first, '\0');
            Arrays.fill(second, '\0');
        }
        PasswordFile.putUser(file, create, user, secret, iterations);
        Arrays.fill(secret, (byte)0);
        return 0;
    }
}
