namespace SidecarKit.Configuration;

/// <summary>A wrong value in a sidecar's declaration, with its full configuration key.</summary>
/// <param name="Key">The key, for example <c>Sidecars:ollama:Readiness:Kind</c>.</param>
/// <param name="Message">What is wrong, for example <c>unknown probe kind 'htp' (known: …)</c>.</param>
public sealed record SidecarConfigurationError(string Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Key + ": " + Message;
}

/// <summary>
/// Sidecars declared in configuration that cannot run as written: every wrong key, each with what is wrong. Thrown by
/// <see cref="SidecarConfiguration"/> (and so at host start by <c>AddSidecarsFromConfiguration</c>).
/// </summary>
public sealed class SidecarConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception from its errors (at least one).</summary>
    public SidecarConfigurationException(IReadOnlyList<SidecarConfigurationError> errors, Exception? innerException = null)
        : base(Format(errors), innerException)
    {
        Errors = errors;
    }

    /// <summary>Every wrong key, in the order found.</summary>
    public IReadOnlyList<SidecarConfigurationError> Errors { get; }

    /// <summary>The first wrong key.</summary>
    public string Key => Errors[0].Key;

    private static string Format(IReadOnlyList<SidecarConfigurationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0) throw new ArgumentException("At least one error.", nameof(errors));
        return errors.Count == 1
            ? "Invalid sidecar configuration: " + errors[0]
            : "Invalid sidecar configuration:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e));
    }
}
