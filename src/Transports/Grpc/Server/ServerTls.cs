using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using SidecarKit.Hosting;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The server side of TLS on the gRPC transport (docs/deployment.md): the sidecar's certificate and, for mTLS, the check
/// of every client's certificate against the configured authorities, with each refusal logged with who was refused.
/// The handshake options are built here rather than by Kestrel's client-certificate mode so that a connection without a
/// certificate is refused (and logged) by the same check as one with a wrong certificate.
/// </summary>
internal sealed class ServerTls
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _clientAuthorities;
    private readonly ILogger _logger;

    private ServerTls(X509Certificate2 certificate, X509Certificate2Collection clientAuthorities, ILogger logger)
    {
        _certificate = certificate;
        _clientAuthorities = clientAuthorities;
        _logger = logger;
    }

    /// <summary>The TLS settings of <paramref name="options"/>, with their files read; null when TLS is off.</summary>
    /// <exception cref="SidecarException">A file cannot be read or is not what it should be.</exception>
    public static ServerTls? From(SidecarTlsOptions options, ILogger logger)
    {
        if (!options.IsEnabled) return null;
        X509Certificate2 certificate;
        try
        {
            certificate = options.LoadCertificate();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new SidecarException($"Cannot use the TLS certificate '{options.CertificatePath}' (key '{options.KeyPath ?? options.CertificatePath}'): {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
            throw new SidecarException($"The TLS certificate '{options.CertificatePath}' has no private key: give it with --tls-key.");
        X509Certificate2Collection authorities;
        try
        {
            authorities = options.LoadClientCertificateAuthorities();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new SidecarException($"Cannot read the client certificates' CA '{options.ClientCertificateAuthorityPath}': {e.Message}", e);
        }
        if (options.RequiresClientCertificate && authorities.Count == 0)
            throw new SidecarException($"The client certificates' CA file '{options.ClientCertificateAuthorityPath}' holds no certificate.");
        return new ServerTls(certificate, authorities, logger);
    }

    /// <summary>Whether clients must present a certificate the authorities issued.</summary>
    public bool RequiresClientCertificate => _clientAuthorities.Count > 0;

    /// <summary>Kestrel's per-connection handshake options: HTTP/2 by ALPN, the certificate, the client check.</summary>
    public TlsHandshakeCallbackOptions HandshakeOptions() => new()
    {
        OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificate = _certificate,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = RequiresClientCertificate,
            RemoteCertificateValidationCallback = RequiresClientCertificate
                ? (_, certificate, _, _) => Accept(certificate, context.Connection.RemoteEndPoint?.ToString() ?? "an unknown peer")
                : null,
        }),
    };

    // The client's certificate must chain to one of the configured authorities (and to nothing else: the machine's
    // trust store does not count), be valid now and be meant for client authentication.
    private bool Accept(X509Certificate? presented, string peer)
    {
        if (presented is null)
        {
            _logger.LogWarning("Refused a TLS connection from {Peer}: it presented no client certificate, and this sidecar requires one (--tls-client-ca).", peer);
            return false;
        }
        using var certificate = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));   // client authentication
        if (chain.Build(certificate)) return true;
        string why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        _logger.LogWarning("Refused a TLS connection from {Peer}: its client certificate {Subject} (issuer {Issuer}) is not one the configured CA issued for client authentication: {Reason}",
            peer, certificate.Subject, certificate.Issuer, why.Length > 0 ? why : "untrusted");
        return false;
    }
}
