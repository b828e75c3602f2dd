using SidecarKit.Supervision;

namespace SidecarKit.Runtime.Tests;

public class RestartScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static SidecarRestartOptions NoJitter() => new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(500), Multiplier = 2, MaxDelay = TimeSpan.FromSeconds(5), Jitter = 0,
        ResetAfter = TimeSpan.FromSeconds(60), MaxRestarts = 100, IntensityWindow = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public void Backoff_grows_exponentially_up_to_the_cap()
    {
        var schedule = new RestartSchedule(NoJitter());
        var delays = Enumerable.Range(0, 7).Select(i => schedule.Next(T0.AddSeconds(i), TimeSpan.FromSeconds(1))!.Value.TotalMilliseconds).ToArray();
        Assert.Equal([500, 1000, 2000, 4000, 5000, 5000, 5000], delays);
        Assert.Equal(7, schedule.Attempt);
    }

    [Theory]
    [InlineData(0.0, 900)]
    [InlineData(0.5, 1000)]
    [InlineData(0.9999999, 1100)]
    public void Jitter_stays_within_its_fraction(double random, double expectedMs)
    {
        var options = NoJitter();
        options.Jitter = 0.1;
        var schedule = new RestartSchedule(options, () => random);
        Assert.Equal(expectedMs, schedule.Delay(2).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void A_stable_run_resets_the_backoff()
    {
        var schedule = new RestartSchedule(NoJitter());
        schedule.Next(T0, TimeSpan.FromSeconds(1));
        schedule.Next(T0.AddSeconds(2), TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(2000), schedule.Next(T0.AddSeconds(4), TimeSpan.FromSeconds(1)));
        // This instance ran longer than ResetAfter: back to the first delay.
        Assert.Equal(TimeSpan.FromMilliseconds(500), schedule.Next(T0.AddSeconds(100), TimeSpan.FromSeconds(61)));
        Assert.Equal(1, schedule.Attempt);
    }

    [Fact]
    public void The_intensity_limit_fails_after_max_restarts_within_the_window_and_forgets_old_ones()
    {
        var options = NoJitter();
        options.MaxRestarts = 3;
        options.IntensityWindow = TimeSpan.FromSeconds(10);
        var schedule = new RestartSchedule(options);
        Assert.NotNull(schedule.Next(T0, TimeSpan.Zero));
        Assert.NotNull(schedule.Next(T0.AddSeconds(1), TimeSpan.Zero));
        Assert.NotNull(schedule.Next(T0.AddSeconds(2), TimeSpan.Zero));
        Assert.Null(schedule.Next(T0.AddSeconds(3), TimeSpan.Zero));          // a 4th within 10 s: failed
        Assert.NotNull(schedule.Next(T0.AddSeconds(10.5), TimeSpan.Zero));     // the first one left the window
        schedule.Reset();
        Assert.Equal(0, schedule.Attempt);
    }

    [Theory]
    [InlineData(RestartPolicy.Always, 0, false, true)]
    [InlineData(RestartPolicy.Always, 1, false, true)]
    [InlineData(RestartPolicy.OnFailure, 0, false, false)]
    [InlineData(RestartPolicy.OnFailure, 1, false, true)]
    [InlineData(RestartPolicy.OnFailure, 137, false, true)]
    [InlineData(RestartPolicy.OnFailure, 0, true, true)]
    [InlineData(RestartPolicy.OnFailure, null, false, true)]
    [InlineData(RestartPolicy.Never, 1, false, false)]
    [InlineData(RestartPolicy.Never, null, true, false)]
    public void Restart_policy(RestartPolicy policy, int? exitCode, bool unhealthy, bool restart)
        => Assert.Equal(restart, new RestartSchedule(new SidecarRestartOptions { Policy = policy }).ShouldRestart(exitCode, unhealthy));
}
