# syntax=docker/dockerfile:1
# Every image of the platform, one target each. Build context: the repository root, e.g.
#   docker build --target contribution-calculation -t medins/contribution-calculation .
# Targets (the app ids): identity-registry, contribution-calculation, payment-collection, quota-tracking,
# notification, gateway, migrator. skaffold.yaml builds each.
# Multi-stage: the SDK restores and publishes; the runtime is the chiseled ASP.NET image (no shell, no package
# manager, non-root 'app' user 1654). The "extra" flavour carries ICU and tzdata (the build keeps globalization on).
# The pod runs with a read-only root filesystem; the process writes only under /tmp (an emptyDir in the chart).
# The stages are shared; a target adds only what differs: the project it publishes, its ports and its entrypoint.
# Those are written out per target rather than passed as build arguments because an exec-form ENTRYPOINT (the
# chiseled image has no shell for any other form) does not expand arguments.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS source
WORKDIR /src
# Project files first: the restore layer stays cached until a project or a package version changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY protos/Medins.Protos.csproj protos/
COPY services/Platform.Hosting/Platform.Hosting.csproj services/Platform.Hosting/
COPY services/IdentityRegistry/IdentityRegistry.csproj services/IdentityRegistry/
COPY services/ContributionCalculation/ContributionCalculation.csproj services/ContributionCalculation/
COPY services/PaymentCollection/PaymentCollection.csproj services/PaymentCollection/
COPY services/QuotaTracking/QuotaTracking.csproj services/QuotaTracking/
COPY services/Notification/Notification.csproj services/Notification/
COPY services/Migrator/Migrator.csproj services/Migrator/
COPY gateway/Gateway/Gateway.csproj gateway/Gateway/
RUN for project in services/IdentityRegistry/IdentityRegistry.csproj \
        services/ContributionCalculation/ContributionCalculation.csproj \
        services/PaymentCollection/PaymentCollection.csproj services/QuotaTracking/QuotaTracking.csproj \
        services/Notification/Notification.csproj services/Migrator/Migrator.csproj gateway/Gateway/Gateway.csproj; \
    do dotnet restore "$project" || exit 1; done
# The sources (.dockerignore leaves out tests, charts, bin and obj). The migrator embeds every service's
# Migrations/*.sql, the demo city, the shipped policies and quota rules, and builds quota-tracking's rule reader.
COPY protos/ protos/
COPY services/ services/
COPY gateway/ gateway/

# appsettings.json holds local-development settings only (local ports and passwords, demo keys and credentials):
# no image ships any of it, the chart sets every setting through the environment and Secrets.
FROM source AS publish-identity-registry
RUN dotnet publish services/IdentityRegistry/IdentityRegistry.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-contribution-calculation
RUN dotnet publish services/ContributionCalculation/ContributionCalculation.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-payment-collection
RUN dotnet publish services/PaymentCollection/PaymentCollection.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-quota-tracking
RUN dotnet publish services/QuotaTracking/QuotaTracking.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-notification
RUN dotnet publish services/Notification/Notification.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-gateway
RUN dotnet publish gateway/Gateway/Gateway.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

FROM source AS publish-migrator
RUN dotnet publish services/Migrator/Migrator.csproj -c Release --no-restore -o /app -p:UseAppHost=false \
 && rm -f /app/appsettings.json /app/appsettings.*.json

# Platform.Hosting brings the ASP.NET Core shared framework, so the migrator runs on the aspnet runtime too.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS runtime
WORKDIR /app
# HOME under /tmp: ASP.NET Core keeps its data-protection keys in ~/.aspnet, and the root filesystem is read-only.
ENV HOME=/tmp \
    TMPDIR=/tmp
USER $APP_UID

FROM runtime AS identity-registry
COPY --from=publish-identity-registry --chown=root:root /app ./
ENV Platform__GrpcPort=5110 \
    Platform__HttpPort=5111
EXPOSE 5110 5111
ENTRYPOINT ["dotnet", "IdentityRegistry.dll"]

FROM runtime AS contribution-calculation
COPY --from=publish-contribution-calculation --chown=root:root /app ./
ENV Platform__GrpcPort=5120 \
    Platform__HttpPort=5121
EXPOSE 5120 5121
ENTRYPOINT ["dotnet", "ContributionCalculation.dll"]

FROM runtime AS payment-collection
COPY --from=publish-payment-collection --chown=root:root /app ./
ENV Platform__GrpcPort=5130 \
    Platform__HttpPort=5131
EXPOSE 5130 5131
ENTRYPOINT ["dotnet", "PaymentCollection.dll"]

FROM runtime AS quota-tracking
COPY --from=publish-quota-tracking --chown=root:root /app ./
ENV Platform__GrpcPort=5140 \
    Platform__HttpPort=5141
EXPOSE 5140 5141
ENTRYPOINT ["dotnet", "QuotaTracking.dll"]

FROM runtime AS notification
COPY --from=publish-notification --chown=root:root /app ./
ENV Platform__GrpcPort=5150 \
    Platform__HttpPort=5151
EXPOSE 5150 5151
ENTRYPOINT ["dotnet", "Notification.dll"]

FROM runtime AS gateway
COPY --from=publish-gateway --chown=root:root /app ./
ENV Platform__GrpcPort=5100 \
    Platform__HttpPort=5180
EXPOSE 5100 5180
ENTRYPOINT ["dotnet", "Gateway.dll"]

# The migrator applies every schema's numbered migrations (the chart's pre-install / pre-upgrade hook Job): no ports.
FROM runtime AS migrator
COPY --from=publish-migrator --chown=root:root /app ./
ENTRYPOINT ["dotnet", "Migrator.dll"]
