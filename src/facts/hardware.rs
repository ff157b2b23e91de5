//! Hardware of a live host, through `sysinfo`: CPU, memory, disks, network
//! interfaces. A root filesystem has no hardware, so the fact is runtime-only.

use super::{Collected, FactError, FactResult};
use crate::diag::Diagnostic;
use crate::target::Target;
use serde_json::{json, Value};
use sysinfo::{CpuRefreshKind, Disks, Networks, System};

pub fn collect(target: &Target) -> FactResult<Value> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly { what: "hardware" });
    }
    let mut diags = Vec::new();
    let mut problem = |what: &str, e: &dyn std::fmt::Display| {
        diags.push(Diagnostic::new(
            "sysinfo",
            format!("cannot read {what}: {e}"),
        ));
    };
    let mut cpu = json!(null);
    let mut memory = json!(null);
    match System::new() {
        Ok(mut sys) => {
            sys.refresh_memory();
            sys.refresh_cpu_list(CpuRefreshKind::nothing());
            let first = sys.cpus().first();
            cpu = json!({
                "brand": first.map(|c| c.brand().trim().to_string()),
                "vendor": first.map(|c| c.vendor_id().to_string()),
                "logical_cores": sys.cpus().len(),
                "physical_cores": System::physical_core_count().ok(),
                "arch": System::cpu_arch(),
            });
            memory = json!({
                "total_bytes": sys.total_memory(),
                "available_bytes": sys.available_memory(),
                "swap_total_bytes": sys.total_swap(),
            });
        }
        Err(e) => problem("CPU and memory", &e),
    }
    let disks: Vec<Value> = match Disks::new_with_refreshed_list() {
        Ok(disks) => disks
            .iter()
            .map(|d| {
                json!({
                    "name": d.name().to_string_lossy(),
                    "mount_point": d.mount_point().display().to_string(),
                    "file_system": d.file_system().to_string_lossy(),
                    "total_bytes": d.total_space(),
                    "available_bytes": d.available_space(),
                    "removable": d.is_removable(),
                })
            })
            .collect(),
        Err(e) => {
            problem("disks", &e);
            Vec::new()
        }
    };
    let mut interfaces: Vec<Value> = match Networks::new_with_refreshed_list() {
        Ok(nets) => nets
            .iter()
            .map(|(name, data)| {
                let mut addresses: Vec<String> = data
                    .ip_networks()
                    .iter()
                    .map(|n| format!("{}/{}", n.addr, n.prefix))
                    .collect();
                addresses.sort();
                json!({
                    "name": name,
                    "mac": data.mac_address().to_string(),
                    "addresses": addresses,
                })
            })
            .collect(),
        Err(e) => {
            problem("network interfaces", &e);
            Vec::new()
        }
    };
    interfaces.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let value = json!({
        "cpu": cpu,
        "memory": memory,
        "disks": disks,
        "network_interfaces": interfaces,
        "uptime_seconds": System::uptime().ok(),
        "boot_time": System::boot_time().ok(),
    });
    Ok(Collected::new(value, diags))
}
