using System.Security.Cryptography.X509Certificates;

namespace SidecarKit.Hosting;

/// <summary>
/// TLS for a sidecar that serves beyond its own machine (the gRPC transport: docs/deployment.md): its certificate, and
/// the authority whose client certificates it requires (mTLS). The command line fills it (<c>--tls-cert</c>,
/// <c>--tls-key</c>, <c>--tls-client-ca</c>); code may set the certificates themselves instead. Without it the gRPC
/// transport speaks plaintext HTTP/2 and listens on loopback or a Unix socket only.
/// </summary>
public sealed class SidecarTlsOptions
{
    /// <summary>The server certificate's PEM file (<c>--tls-cert</c>); its private key is in <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The server certificate's private key, a PEM file (<c>--tls-key</c>); default: the certificate's own file.</summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// A PEM file of the certificate authority (or authorities) that issue the client certificates this sidecar accepts
    /// (<c>--tls-client-ca</c>). When set, every connection must present a certificate it issued (mTLS).
    /// </summary>
    public string? ClientCertificateAuthorityPath { get; set; }

    /// <summary>The server certificate with its private key, instead of <see cref="CertificatePath"/>.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>The client certificates' authorities, instead of <see cref="ClientCertificateAuthorityPath"/>.</summary>
    public X509Certificate2Collection? ClientCertificateAuthorities { get; set; }

    /// <summary>Whether TLS is configured (a certificate is given, as a file or in code).</summary>
    public bool IsEnabled => Certificate is not null || CertificatePath is not null;

    /// <summary>Whether client certificates are required.</summary>
    public bool RequiresClientCertificate => ClientCertificateAuthorities is { Count: > 0 } || ClientCertificateAuthorityPath is not null;

    /// <summary>The server certificate, read from its files when it was not given in code.</summary>
    /// <exception cref="InvalidOperationException">No certificate is configured.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A file is not a PEM certificate or key, or they do not match.</exception>
    public X509Certificate2 LoadCertificate()
        => Certificate ?? X509Certificate2.CreateFromPemFile(CertificatePath ?? throw new InvalidOperationException("No TLS certificate is configured."), KeyPath);

    /// <summary>The client certificates' authorities, read from their file when they were not given in code; empty for none.</summary>
    public X509Certificate2Collection LoadClientCertificateAuthorities()
    {
        if (ClientCertificateAuthorities is { } given) return given;
        var all = new X509Certificate2Collection();
        if (ClientCertificateAuthorityPath is { } path) all.ImportFromPemFile(path);
        return all;
    }
}
