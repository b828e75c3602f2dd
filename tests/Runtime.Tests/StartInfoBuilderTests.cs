using SidecarKit.Processes;

namespace SidecarKit.Runtime.Tests;

public class StartInfoBuilderTests
{
    private static readonly Dictionary<string, string> Parent = new()
    {
        ["PATH"] = "/nonexistent/a:/usr/bin:/bin",
        ["HOME"] = "/home/ada",
        ["SECRET"] = "s3cr3t",
        ["MODEL_DIR"] = "/models",
    };

    private static SidecarProcessOptions Options(string fileName = "sh") => new() { Name = "t", FileName = fileName, KillOnParentDeath = false };

    [Fact]
    public void On_linux_the_sidecar_is_started_through_setpriv_with_a_parent_death_signal_in_a_group_of_its_own()
    {
        SidecarProcessOptions o = Options("/bin/sh");
        o.KillOnParentDeath = true;
        o.Arguments.Add("-c");
        o.Arguments.Add("true");
        var psi = StartInfoBuilder.Build(o, Parent);
        Assert.Equal("/usr/bin/setpriv", psi.FileName);
        // and through setsid: its own process group, which OrphanGuard kills whole if this process dies
        Assert.Equal(["--pdeathsig", "KILL", "--", "/usr/bin/setsid", "/bin/sh", "-c", "true"], psi.ArgumentList);
        Assert.True(StartInfoBuilder.LeadsOwnGroup(psi));
    }

    [Fact]
    public void A_detached_sidecar_starts_in_a_session_of_its_own_without_parent_death_signal_orphan_guard_or_parent_pid()
    {
        SidecarProcessOptions o = Options("/bin/sh");
        o.KillOnParentDeath = true;   // ignored: detached wins
        o.Detached = true;
        o.Arguments.Add("-c");
        o.Arguments.Add("true");
        o.Environment[SidecarProcess.ParentPidVariable] = "42";
        var psi = StartInfoBuilder.Build(o, Parent);
        Assert.Equal("/usr/bin/setsid", psi.FileName);
        Assert.Equal(["/bin/sh", "-c", "true"], psi.ArgumentList);
        Assert.False(StartInfoBuilder.LeadsOwnGroup(psi));   // so OrphanGuard never lists it
        Assert.Equal("1", psi.Environment[SidecarProcess.DetachedVariable]);
        Assert.False(psi.Environment.ContainsKey(SidecarProcess.ParentPidVariable));
    }

    [Fact]
    public void A_reattach_record_round_trips_is_private_and_keeps_its_token_out_of_ToString()
    {
        string dir = Directory.CreateTempSubdirectory("sidecarkit-record-").FullName;
        try
        {
            string path = Path.Combine(dir, "sub", "demo.json");
            Assert.Null(SidecarReattachRecord.Load(path));
            var record = new SidecarReattachRecord("demo", 4242, "abc", "grpc-unix", "/run/demo.sock", "s3cr3t-token");
            record.Save(path);
            Assert.Equal(record, SidecarReattachRecord.Load(path));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.DoesNotContain("s3cr3t", record.ToString());
            Assert.Contains("4242", record.ToString());
            Assert.Null(SidecarReattachRecord.Parse(new SidecarReattachRecord("demo", 1, "i", "grpc", "a:1", null).ToJson()).Token);

            foreach (string bad in new[] { "{}", "not json", """{"name":"d","pid":0,"instanceId":"i","transport":"t","address":"a"}""",
                """{"name":"","pid":3,"instanceId":"i","transport":"t","address":"a"}""" })
                Assert.StartsWith("Not a reattach record", Assert.Throws<FormatException>(() => SidecarReattachRecord.Parse(bad)).Message);

            // The process check: this test process is running, but was not started detached with that token.
            Assert.False(new SidecarReattachRecord("me", Environment.ProcessId, "i", "grpc", "a", "token").IsProcessRunning());
            Assert.False(new SidecarReattachRecord("gone", int.MaxValue - 3, "i", "grpc", "a", null).IsProcessRunning());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Variables_expand_in_arguments_environment_and_working_directory_and_dollar_dollar_is_literal()
    {
        SidecarProcessOptions o = Options();
        o.Arguments.Add("--models=${MODEL_DIR}/v1");
        o.Arguments.Add("price: $$5 and $HOME stays");
        o.Environment["TOKEN"] = "Bearer ${SECRET}";
        o.WorkingDirectory = "${HOME}";
        var psi = StartInfoBuilder.Build(o, Parent);
        Assert.Equal(["--models=/models/v1", "price: $5 and $HOME stays"], psi.ArgumentList);
        Assert.Equal("Bearer s3cr3t", psi.Environment["TOKEN"]);
        Assert.Equal("/home/ada", psi.WorkingDirectory);
    }

    [Fact]
    public void An_unset_variable_is_an_error_naming_it_and_where_it_was_used()
    {
        SidecarProcessOptions o = Options();
        o.Arguments.Add("--key=${API_KEY}");
        var e = Assert.Throws<SidecarStartException>(() => StartInfoBuilder.Build(o, Parent));
        Assert.Contains("argument 1 refers to ${API_KEY}", e.Message);
    }

    [Fact]
    public void A_cleared_environment_passes_only_the_allowlist_and_the_overrides()
    {
        SidecarProcessOptions o = Options();
        o.InheritEnvironment = false;
        o.AllowedEnvironmentVariables.Add("HOME");
        o.AllowedEnvironmentVariables.Add("NOT_SET_ANYWHERE");
        o.Environment["MODE"] = "test";
        var psi = StartInfoBuilder.Build(o, Parent);
        Assert.Equal(new Dictionary<string, string?> { ["HOME"] = "/home/ada", ["MODE"] = "test" }, psi.Environment.OrderBy(p => p.Key).ToDictionary());
    }

    [Fact]
    public void A_merged_environment_can_remove_a_variable()
    {
        SidecarProcessOptions o = Options();
        o.Environment["PATH"] = null;
        Assert.False(StartInfoBuilder.Build(o, Parent).Environment.ContainsKey("PATH"));
    }

    [Fact]
    public void Resolution_order_is_explicit_path_then_variable_then_PATH()
    {
        Assert.Equal("/bin/sh", StartInfoBuilder.Build(Options("/bin/sh"), Parent).FileName);
        Assert.Equal("/usr/bin/sh", StartInfoBuilder.Build(Options("sh"), Parent).FileName);
        SidecarProcessOptions o = Options("sh");
        o.FileNameVariable = "MY_SH";
        Assert.Equal("/bin/sh", StartInfoBuilder.Build(o, new Dictionary<string, string>(Parent) { ["MY_SH"] = "/bin/sh" }).FileName);
    }

    [Fact]
    public void A_program_that_is_nowhere_names_every_place_tried()
    {
        SidecarProcessOptions o = Options("no-such-sidecar");
        o.FileNameVariable = "NO_SUCH_BIN";
        var e = Assert.Throws<SidecarStartException>(() => StartInfoBuilder.Build(o, Parent));
        Assert.Contains("'no-such-sidecar' was not found", e.Message);
        Assert.Contains("$NO_SUCH_BIN (not set)", e.Message);
        Assert.Contains("/nonexistent/a:/usr/bin:/bin", e.Message);
        e = Assert.Throws<SidecarStartException>(() => StartInfoBuilder.Build(Options("./bin/missing"), Parent));
        Assert.Contains("no such file", e.Message);
    }
}
